// Left column of Replay: bench, model, run, filters and the item list (arrow keys / j k step through it).
// The list's coverage is the run's record, labelled with what it measured; the list keeps the opened
// item in view.
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { BenchItemSummary, RunInfo } from '../../../../electron/contract/types.js';
import { useBenches, useModels } from '../../stores/engine.js';
import { useBenchActions, useBenchItems } from '../../stores/bench.js';
import {
  activeFilters,
  coverageOf,
  filterItems,
  recordLayer,
  useReplayActions,
  useReplayStore,
  type JudgeFilter,
} from '../../stores/replay.js';
import { ModelSelect, pickModel } from '../../components/ModelSelect.js';
import { BenchSelect } from '../../components/BenchSelect.js';
import { Field, Verdict, pct } from '../../components/common.js';
import { recordLabel } from '../../selection/labels.js';
import { runTitle } from '../batch/runText.js';

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

  const covLayer = useMemo(() => recordLayer(s.records, layer), [s.records, layer]);
  const shown = useMemo(() => filterItems(items, s.filters, s.records, covLayer ?? layer), [items, s.filters, s.records, covLayer, layer]);
  const dims = useMemo(() => [...new Set(items.map((i) => i.dimension ?? '—'))].sort(), [items]);
  const runs = s.runs.filter((r) => r.spec.benchId === s.benchId);
  const run = runs.find((r) => r.runId === s.runId);
  const hasRecords = Object.keys(s.records).length > 0;
  const nFilters = activeFilters(s.filters);

  // The opened item stays in view, however it was opened (a click, the keyboard, a link from Batch).
  useEffect(() => {
    if (!s.selectedId) return;
    listRef.current?.querySelector(`[data-id="${CSS.escape(s.selectedId)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [s.selectedId, shown]);

  const step = (d: number) => {
    const i = shown.findIndex((x) => x.id === s.selectedId);
    const next = shown[Math.min(shown.length - 1, Math.max(0, i + d))];
    if (next) void a.select(next);
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
    <aside className="panel left replay-left" aria-label="Benchmark items">
      <BenchSelect value={s.benchId} onChange={(id) => a.setBench(id)} testId="replay-bench" />
      <ModelSelect value={s.modelId} onChange={(id) => a.setModel(id, items)} testId="replay-model" />
      <Field
        label="Judgements from run"
        hint={runs.length ? undefined : 'Run a batch on this bench to filter by verdict and sort by coverage.'}
      >
        <select data-testid="replay-run" value={s.runId ?? ''} onChange={(e) => void a.setRun(e.target.value || null)}>
          <option value="">none</option>
          {runs.map((r) => (
            <option key={r.runId} value={r.runId}>
              {runTitle(r)} · {r.done}/{r.total} · {r.state}
            </option>
          ))}
        </select>
      </Field>
      <details className="filters" data-testid="filters">
        <summary>
          Filters{nFilters ? ` (${nFilters} active)` : ''}
          {nFilters ? (
            <button
              className="link"
              data-testid="clear-filters"
              onClick={(e) => {
                e.preventDefault();
                a.clearFilters();
              }}
            >
              clear
            </button>
          ) : null}
        </summary>
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
        <select
          aria-label="Sort"
          value={s.filters.sort}
          disabled={!hasRecords}
          onChange={(e) => a.setFilters({ sort: e.target.value as 'row' })}
        >
          <option value="row">bench order</option>
          <option value="coverage-desc">run coverage ↓</option>
          <option value="coverage-asc">run coverage ↑</option>
        </select>
      </details>
      <input
        aria-label="Search"
        data-testid="filter-search"
        placeholder="search id or question"
        value={s.filters.search}
        onChange={(e) => a.setFilters({ search: e.target.value })}
      />
      <div className="muted small" data-testid="replay-count">
        {shown.length} of {items.length} items · ↑↓ or j/k to step
      </div>
      {run && covLayer !== null ? (
        <div className="muted small" data-testid="list-coverage-label">
          cov = {runTitle(run)}: paper coverage · {recordLabel(covLayer)}
        </div>
      ) : null}
      {shown.length === 0 && items.length > 0 ? (
        <div className="empty-filter" data-testid="no-match">
          No item matches the filters.{' '}
          <button className="link" onClick={a.clearFilters} data-testid="clear-filters-empty">
            Clear filters
          </button>
        </div>
      ) : null}
      <ul
        ref={listRef}
        className="item-list compact"
        role="listbox"
        tabIndex={0}
        aria-label="Items"
        aria-activedescendant={s.selectedId ? `item-${s.selectedId}` : undefined}
        onKeyDown={onKey}
        data-testid="replay-list"
      >
        {shown.map((it) => (
          <Item key={it.id} it={it} active={it.id === s.selectedId} layer={covLayer} run={run} onClick={() => void a.select(it)} />
        ))}
      </ul>
    </aside>
  );
}

function Item({
  it,
  active,
  layer,
  run,
  onClick,
}: {
  it: BenchItemSummary;
  active: boolean;
  layer: number | null;
  run?: RunInfo;
  onClick: () => void;
}) {
  const rec = useReplayStore((s) => s.records[it.id]);
  const cov = layer !== null ? coverageOf(rec?.global, layer) : undefined;
  return (
    <li id={`item-${it.id}`} data-id={it.id} role="option" aria-selected={active} className={active ? 'active' : ''} onClick={onClick}>
      <span className="item-line">
        <strong>{it.id}</strong> <span className="muted">{it.question.split('\n')[0].slice(0, 70)}</span>
      </span>
      <span className="meta">
        <span>{it.dimension ?? it.questionType}</span>
        {it.bbox ? null : <span title="This row has no key box: coverage is not measured">no box</span>}
        {rec?.global ? <Verdict label="G" record={rec.global} /> : null}
        {rec?.regional ? <Verdict label="R" record={rec.regional} /> : null}
        {cov !== undefined && run ? (
          <span title={`${runTitle(run)}: ${recordLabel(layer!)}`}>
            cov L{layer} {pct(cov)}
          </span>
        ) : null}
      </span>
    </li>
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
      <option value="unjudged">{label}: unjudged</option>
      <option value="failed">{label}: failed</option>
    </select>
  );
}
