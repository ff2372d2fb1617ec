// Left column of Batch: start a run (offering an identical finished run instead of recomputing it), and
// the list of runs, each with its name, start time, settings and status, progress, cancel and resume.
import { useEffect, useState } from 'react';
import { AnalysisToggles } from '../../components/AnalysisToggles.js';
import type { RunInfo, View } from '../../../../electron/contract/types.js';
import { useBenches, useModels } from '../../stores/engine.js';
import { useBatchActions, useBatchStore, useRunProgress } from '../../stores/batch.js';
import { ModelSelect, pickModel } from '../../components/ModelSelect.js';
import { BenchSelect } from '../../components/BenchSelect.js';
import { Field } from '../../components/common.js';
import { runTitle, settingsText, startedText } from './runText.js';
import { analysesRequest, NO_ANALYSES, type AnalysesChoice } from '../../stores/analyses-choice.js';

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
  const benchId = chosenBenchId && benches.some((b) => b.id === chosenBenchId) ? chosenBenchId : (benches[0]?.id ?? '');
  const [views, setViews] = useState<View[]>(['global', 'regional']);
  const [limit, setLimit] = useState<string>('');
  const [maxNew, setMaxNew] = useState(16);
  const [name, setName] = useState('');
  const [analyses, setAnalyses] = useState<AnalysesChoice>(NO_ANALYSES);
  // Faithfulness in a run ranks cells by every layer's map, so the dashboard can say which layer is most faithful.
  const numLayers = models.find((m) => m.id === modelId)?.numLayers ?? 1;

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
        <BenchSelect value={benchId || null} onChange={setBenchId} testId="batch-bench" />
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
        <AnalysisToggles
          value={analyses}
          onChange={(patch) => setAnalyses((v) => ({ ...v, ...patch }))}
          faithfulnessLabel={`Faithfulness by deletion, every layer (+${3 * numLayers + 10} passes per item)`}
          faithfulnessCost={`Per item: the 5/10/20% most attended cells of each of the ${numLayers} layers, as many random cells (3 seeds) and the key box removed, and the question asked again`}
        />
        <Field label="Name (optional)">
          <input data-testid="batch-name" placeholder="e.g. baseline, seed 0" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <button
          className="primary"
          data-testid="batch-start"
          disabled={!canStart}
          onClick={() =>
            modelId &&
            void a.start(
              {
                modelId,
                benchId,
                views,
                layers: [],
                maxNewTokens: maxNew,
                limit: limit ? Math.max(1, Number(limit)) : undefined,
                ...analysesRequest(analyses),
                ...(analyses.faithfulness ? { faithfulness: { layers: Array.from({ length: numLayers }, (_, i) => i + 1) } } : {}),
              },
              name,
            )
          }
        >
          Start run
        </button>
        <SameSpecOffer />
      </fieldset>
      <h2>Runs</h2>
      {runs.length === 0 ? <div className="muted small">No runs yet. Start one above; results are kept and resumable.</div> : null}
      <ul className="item-list runs" aria-label="Runs" data-testid="run-list">
        {runs.map((r) => (
          <RunRow key={r.runId} run={r} active={r.runId === selected} />
        ))}
      </ul>
    </aside>
  );
}

/** Runs of the identical spec already exist: open one, resume one, or start anyway. */
function SameSpecOffer() {
  const offer = useBatchStore((s) => s.offer);
  const a = useBatchActions();
  if (!offer) return null;
  return (
    <div className="warn-box" role="alert" data-testid="same-spec">
      <div>
        {offer.runs.length === 1 ? 'A run' : `${offer.runs.length} runs`} of exactly these settings with this model’s files already exist:
      </div>
      <ul>
        {offer.runs.map((r) => {
          const complete = r.state === 'finished' && r.done >= r.total;
          return (
            <li key={r.runId}>
              <strong>{runTitle(r)}</strong>, started {startedText(r)}, {r.done}/{r.total} {r.state}{' '}
              <button className="link" data-testid="same-spec-open" onClick={() => void a.select(r.runId).then(a.dismissOffer)}>
                open it
              </button>
              {!complete && r.state !== 'running' ? (
                <button className="link" data-testid="same-spec-resume" onClick={() => void a.resume(r.runId)}>
                  resume it
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      <div className="row">
        <button data-testid="same-spec-new" onClick={() => void a.startAnyway()}>
          Start a new run anyway
        </button>
        <button className="link" onClick={a.dismissOffer}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function RunRow({ run, active }: { run: RunInfo; active: boolean }) {
  const p = useBatchStore((s) => s.progress[run.runId]);
  const counts = useRunProgress(run.runId) ?? { done: run.done, total: run.total, failed: run.failed };
  const a = useBatchActions();
  const frac = counts.total > 0 ? counts.done / counts.total : 0;
  return (
    <li className={active ? 'active' : ''} onClick={() => void a.select(run.runId)} data-testid="run-row" data-run-id={run.runId}>
      <span className="run-title">
        <strong data-testid="run-title">{runTitle(run)}</strong>
        {run.name ? (
          <span className="muted">
            {' '}
            · {run.modelName} · {run.benchName}
          </span>
        ) : null}
      </span>
      <span className="meta">
        <span title={run.startedAt}>started {startedText(run)}</span>
        <span className={`pill ${run.state === 'finished' ? 'good' : run.state === 'failed' ? 'bad' : ''}`} data-testid="run-state">
          {run.state}
        </span>
        <span data-testid="run-done">
          {counts.done}/{counts.total}
        </span>
        {counts.failed ? <span className="bad-text">{counts.failed} failed</span> : null}
      </span>
      <span className="meta" data-testid="run-settings">
        {settingsText(run)}
      </span>
      {run.state === 'running' && p ? (
        <span className="meta" data-testid="run-eta">
          {p.itemsPerSecond.toFixed(2)} records/s over the last 30 s{p.etaSeconds !== null ? ` · ETA ${formatEta(p.etaSeconds)}` : ''}
        </span>
      ) : null}
      {run.state === 'running' ? (
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={counts.total} aria-valuenow={counts.done}>
          <div style={{ width: `${frac * 100}%` }} />
        </div>
      ) : null}
      {run.notes ? (
        <span className="meta notes" title={run.notes}>
          {run.notes.split('\n')[0].slice(0, 80)}
        </span>
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

/** "42 s", "3 min", "1 h 05 min" */
export function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
