// Left column of Batch: start a run, and the list of runs with progress, cancel and resume.
import { useEffect, useState } from 'react';
import type { RunInfo, View } from '../../../../electron/contract/types.js';
import { useBenches, useModels } from '../../stores/engine.js';
import { useBatchActions, useBatchStore } from '../../stores/batch.js';
import { ModelSelect, pickModel } from '../../components/ModelSelect.js';
import { Field } from '../../components/common.js';

export function BatchRuns() {
  const models = useModels();
  const benches = useBenches();
  const runs = useBatchStore((s) => s.runs);
  const busy = useBatchStore((s) => s.busy);
  const selected = useBatchStore((s) => s.selectedRunId);
  const a = useBatchActions();
  const [chosenModelId, setModelId] = useState<string | null>(null);
  const [chosenBenchId, setBenchId] = useState<string>('');
  // Until the user picks, the R2I student and the first bench.
  const modelId = chosenModelId ?? (models.length ? pickModel(models, 'loupe-tiny-r2i') : null);
  const benchId = chosenBenchId || (benches[0]?.id ?? '');
  const [views, setViews] = useState<View[]>(['global', 'regional']);
  const [limit, setLimit] = useState<string>('');
  const [maxNew, setMaxNew] = useState(16);

  useEffect(() => {
    void a.refresh();
  }, [a]);

  const toggle = (v: View) => setViews((vs) => (vs.includes(v) ? vs.filter((x) => x !== v) : [...vs, v]));
  const canStart = !!modelId && !!benchId && views.length > 0 && !busy;
  return (
    <aside className="panel left" aria-label="Batch runs">
      <fieldset>
        <legend>New run</legend>
        <ModelSelect value={modelId} onChange={setModelId} testId="batch-model" />
        <Field label="Benchmark">
          <select data-testid="batch-bench" value={benchId} onChange={(e) => setBenchId(e.target.value)}>
            {benches.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name} ({b.itemCount})
              </option>
            ))}
          </select>
        </Field>
        <div className="row">
          <label className="check">
            <input type="checkbox" checked={views.includes('global')} onChange={() => toggle('global')} /> global
          </label>
          <label className="check">
            <input type="checkbox" checked={views.includes('regional')} onChange={() => toggle('regional')} /> regional
          </label>
        </div>
        <div className="row">
          <Field label="Limit (items)">
            <input
              data-testid="batch-limit"
              type="number"
              min={1}
              placeholder="all"
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
              style={{ width: 80 }}
            />
          </Field>
          <Field label="Max new tokens">
            <input
              type="number"
              min={1}
              max={256}
              value={maxNew}
              onChange={(e) => setMaxNew(Number(e.target.value))}
              style={{ width: 80 }}
            />
          </Field>
        </div>
        <button
          className="primary"
          data-testid="batch-start"
          disabled={!canStart}
          onClick={() =>
            modelId &&
            void a.start({
              modelId,
              benchId,
              views,
              layers: [],
              maxNewTokens: maxNew,
              limit: limit ? Math.max(1, Number(limit)) : undefined,
            })
          }
        >
          Start run
        </button>
      </fieldset>
      <h2>Runs</h2>
      {runs.length === 0 ? <div className="muted small">No runs yet. Start one above; results are kept and resumable.</div> : null}
      <ul className="item-list" aria-label="Runs" data-testid="run-list">
        {runs.map((r) => (
          <RunRow key={r.runId} run={r} active={r.runId === selected} />
        ))}
      </ul>
    </aside>
  );
}

function RunRow({ run, active }: { run: RunInfo; active: boolean }) {
  const p = useBatchStore((s) => s.progress[run.runId]);
  const a = useBatchActions();
  const done = p?.done ?? run.done;
  const total = p?.total ?? run.total;
  const frac = total > 0 ? done / total : 0;
  return (
    <li className={active ? 'active' : ''} onClick={() => void a.select(run.runId)} data-testid="run-row">
      <span>
        <strong>{run.modelName}</strong> · {run.benchName}
      </span>
      <span className="meta">
        <span className={`pill ${run.state === 'finished' ? 'good' : run.state === 'failed' ? 'bad' : ''}`} data-testid="run-state">
          {run.state}
        </span>
        <span>
          {done}/{total}
        </span>
        {run.state === 'running' && p ? (
          <span>
            {p.itemsPerSecond.toFixed(2)} items/s{p.etaSeconds !== null ? ` · ETA ${Math.ceil(p.etaSeconds)} s` : ''}
          </span>
        ) : null}
      </span>
      {run.state === 'running' ? (
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
          <div style={{ width: `${frac * 100}%` }} />
        </div>
      ) : null}
      <span className="row">
        {run.state === 'running' ? (
          <button
            data-testid="batch-cancel"
            onClick={(e) => {
              e.stopPropagation();
              void a.cancel(run.runId);
            }}
          >
            Cancel
          </button>
        ) : null}
        {run.state === 'cancelled' || run.state === 'interrupted' || run.state === 'failed' ? (
          <button
            data-testid="batch-resume"
            onClick={(e) => {
              e.stopPropagation();
              void a.resume(run.runId);
            }}
          >
            Resume
          </button>
        ) : null}
      </span>
    </li>
  );
}
