// Left column of Replay: bench, model, run, filters and the item list (arrow keys / j k step through it).
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { BenchItemSummary } from '../../../../electron/contract/types.js';
import { useBenches, useModels } from '../../stores/engine.js';
import { useBenchActions, useBenchItems } from '../../stores/bench.js';
import { coverageOf, filterItems, useReplayActions, useReplayStore, type JudgeFilter } from '../../stores/replay.js';
import { ModelSelect, pickModel } from '../../components/ModelSelect.js';
import { Field, pct } from '../../components/common.js';
import { PathOpener } from '../../components/PathOpener.js';
import { useEngineActions } from '../../stores/engine.js';

export function ReplayList({ layer }: { layer: number }) {
  const benches = useBenches();
  const models = useModels();
  const s = useReplayStore(
    useShallow((st) => ({
      benchId: st.benchId,
      modelId: st.modelId,
      runId: st.runId,
      runs: st.runs,
      records: st.records,
      filters: st.filters,
      selectedId: st.selectedId,
    })),
  );
  const a = useReplayActions();
  const { load } = useBenchActions();
  const engine = useEngineActions();
  const items = useBenchItems(s.benchId);
  const listRef = useRef<HTMLUListElement>(null);

  // Defaults only when nothing chose yet; read the live state, a link from Batch may just have set it.
  useEffect(() => {
    if (!useReplayStore.getState().benchId && benches.length) a.setBench(benches[0].id);
  }, [benches, s.benchId, a]);
  useEffect(() => {
    if (!useReplayStore.getState().modelId && models.length) a.setModel(pickModel(models, 'loupe-tiny-r2i'));
  }, [models, s.modelId, a]);
  useEffect(() => {
    if (s.benchId) void load(s.benchId);
  }, [s.benchId, load]);
  useEffect(() => {
    void a.refreshRuns();
  }, [a]);

  const shown = useMemo(() => filterItems(items, s.filters, s.records, layer), [items, s.filters, s.records, layer]);
  const dims = useMemo(() => [...new Set(items.map((i) => i.dimension ?? '—'))].sort(), [items]);
  const runs = s.runs.filter((r) => r.spec.benchId === s.benchId);
  const hasRecords = Object.keys(s.records).length > 0;

  const step = (d: number) => {
    const i = shown.findIndex((x) => x.id === s.selectedId);
    const next = shown[Math.min(shown.length - 1, Math.max(0, i + d))];
    if (next) {
      void a.select(next);
      listRef.current?.querySelector(`[data-id="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'j') step(1);
    else if (e.key === 'ArrowUp' || e.key === 'k') step(-1);
    else if (e.key === 'Home') step(-shown.length);
    else if (e.key === 'End') step(shown.length);
    else return;
    e.preventDefault();
  };

  return (
    <aside className="panel left" aria-label="Benchmark items">
      <Field label="Benchmark">
        <select data-testid="replay-bench" value={s.benchId ?? ''} onChange={(e) => a.setBench(e.target.value || null)}>
          {benches.length === 0 ? <option value="">No benchmark found</option> : null}
          {benches.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name} ({b.itemCount})
            </option>
          ))}
        </select>
      </Field>
      <PathOpener
        label="Open a ZoomBench file…"
        placeholder="/path/to/data/test.parquet or test.json"
        testId="open-bench-path"
        onOpen={async (path) => {
          const b = await engine.openBench(path);
          if (b) a.setBench(b.id);
        }}
      />
      <ModelSelect value={s.modelId} onChange={(id) => a.setModel(id)} testId="replay-model" />
      <Field
        label="Judgements from run"
        hint={runs.length ? undefined : 'Run a batch on this bench to filter by correct/wrong and sort by coverage.'}
      >
        <select data-testid="replay-run" value={s.runId ?? ''} onChange={(e) => void a.setRun(e.target.value || null)}>
          <option value="">none</option>
          {runs.map((r) => (
            <option key={r.runId} value={r.runId}>
              {r.modelName} · {r.done}/{r.total} · {r.state}
            </option>
          ))}
        </select>
      </Field>
      <fieldset>
        <legend>Filters</legend>
        <div className="row">
          <select
            aria-label="Dimension"
            data-testid="filter-dimension"
            value={s.filters.dimension}
            onChange={(e) => a.setFilters({ dimension: e.target.value })}
          >
            <option value="all">all dimensions</option>
            {dims.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
          <select
            aria-label="Question type"
            value={s.filters.questionType}
            onChange={(e) => a.setFilters({ questionType: e.target.value as 'all' | 'mcq' | 'blank' })}
          >
            <option value="all">mcq + blank</option>
            <option value="mcq">mcq</option>
            <option value="blank">blank</option>
          </select>
        </div>
        <div className="row">
          <JudgeSelect label="Global" value={s.filters.global} disabled={!hasRecords} onChange={(v) => a.setFilters({ global: v })} />
          <JudgeSelect label="Regional" value={s.filters.regional} disabled={!hasRecords} onChange={(v) => a.setFilters({ regional: v })} />
        </div>
        <label className="check" title="Wrong on the full image, right on the crop">
          <input
            type="checkbox"
            data-testid="filter-gap"
            disabled={!hasRecords}
            checked={s.filters.gapOnly}
            onChange={(e) => a.setFilters({ gapOnly: e.target.checked })}
          />{' '}
          zooming-gap items only
        </label>
        <div className="row">
          <input
            aria-label="Search"
            placeholder="search id or question"
            value={s.filters.search}
            onChange={(e) => a.setFilters({ search: e.target.value })}
            style={{ flex: 1 }}
          />
          <select
            aria-label="Sort"
            value={s.filters.sort}
            disabled={!hasRecords}
            onChange={(e) => a.setFilters({ sort: e.target.value as 'row' })}
          >
            <option value="row">bench order</option>
            <option value="coverage-desc">coverage ↓</option>
            <option value="coverage-asc">coverage ↑</option>
          </select>
        </div>
      </fieldset>
      <div className="muted small" data-testid="replay-count">
        {shown.length} of {items.length} items · ↑↓ or j/k to step
      </div>
      <ul
        ref={listRef}
        className="item-list"
        role="listbox"
        tabIndex={0}
        aria-label="Items"
        aria-activedescendant={s.selectedId ? `item-${s.selectedId}` : undefined}
        onKeyDown={onKey}
        data-testid="replay-list"
      >
        {shown.map((it) => (
          <Item key={it.id} it={it} active={it.id === s.selectedId} layer={layer} onClick={() => void a.select(it)} />
        ))}
      </ul>
    </aside>
  );
}

function Item({ it, active, layer, onClick }: { it: BenchItemSummary; active: boolean; layer: number; onClick: () => void }) {
  const rec = useReplayStore((s) => s.records[it.id]);
  const cov = coverageOf(rec?.global, layer);
  return (
    <li id={`item-${it.id}`} data-id={it.id} role="option" aria-selected={active} className={active ? 'active' : ''} onClick={onClick}>
      <span>
        <strong>{it.id}</strong> {it.question.slice(0, 60)}
      </span>
      <span className="meta">
        <span>{it.dimension ?? it.questionType}</span>
        {rec?.global ? <Verdict label="G" j={rec.global.judgement} /> : null}
        {rec?.regional ? <Verdict label="R" j={rec.regional.judgement} /> : null}
        {cov !== undefined ? <span>cov {pct(cov)}</span> : null}
      </span>
    </li>
  );
}

export function Verdict({ label, j }: { label: string; j: string }) {
  return (
    <span className={`pill ${j === 'correct' ? 'good' : j === 'wrong' ? 'bad' : ''}`}>
      {label} {j === 'correct' ? '✓' : j === 'wrong' ? '✗' : '?'}
    </span>
  );
}

function JudgeSelect({
  label,
  value,
  onChange,
  disabled,
}: {
  label: string;
  value: JudgeFilter;
  onChange: (v: JudgeFilter) => void;
  disabled: boolean;
}) {
  return (
    <select
      aria-label={`${label} view judgement`}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value as JudgeFilter)}
    >
      <option value="any">{label}: any</option>
      <option value="correct">{label}: correct</option>
      <option value="wrong">{label}: wrong</option>
    </select>
  );
}
