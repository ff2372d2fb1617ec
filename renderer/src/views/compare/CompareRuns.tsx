// Two batch runs on the same items: paired scatter, delta histogram, CI and Wilcoxon, most changed and flipped items.
import { useEffect, useMemo } from 'react';
import { CompareAnalyses } from './CompareAnalyses.js';
import { ChartCard } from '../../charts/ChartCard.js';
import { Scatter } from '../../charts/Scatter.js';
import { Histogram } from '../../charts/Histogram.js';
import { Field, pct } from '../../components/common.js';
import { useBatchActions, useBatchStore } from '../../stores/batch.js';
import { useCompareActions, useCompareStore } from '../../stores/compare.js';
import { useBenchStore } from '../../stores/bench.js';
import { recordLabel } from '../../selection/labels.js';
import { runTitle, startedText } from '../batch/runText.js';

export function CompareRunsControls() {
  const runs = useBatchStore((s) => s.runs);
  const { refresh } = useBatchActions();
  const runA = useCompareStore((s) => s.runA);
  const runB = useCompareStore((s) => s.runB);
  const a = useCompareActions();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  // Default pair: the newest base run and the newest R2I run on the same benchmark.
  useEffect(() => {
    if (runA || runB || runs.length < 2) return;
    const fin = runs.filter((r) => r.done > 0);
    const b = fin.find((r) => r.modelName.includes('r2i'));
    const base = fin.find((r) => r.modelName.includes('base') && (!b || r.spec.benchId === b.spec.benchId));
    if (b && base) a.setRuns(base.runId, b.runId);
  }, [runs, runA, runB, a]);
  const label = (id: string) => {
    const r = runs.find((x) => x.runId === id);
    return r ? `${runTitle(r)} · ${r.name ? `${r.modelName} · ` : ''}${startedText(r)} · ${r.done}/${r.total}` : id;
  };
  return (
    <fieldset>
      <legend>Over two runs</legend>
      {runs.length < 2 ? (
        <div className="muted small">
          Needs two batch runs on the same benchmark (e.g. loupe-tiny-base and loupe-tiny-r2i): start them in Batch.
        </div>
      ) : null}
      {(['A', 'B'] as const).map((k) => (
        <Field key={k} label={`Run ${k}`}>
          <select
            data-testid={`compare-run-${k.toLowerCase()}`}
            value={(k === 'A' ? runA : runB) ?? ''}
            onChange={(e) => (k === 'A' ? a.setRuns(e.target.value || null, runB) : a.setRuns(runA, e.target.value || null))}
          >
            <option value="">choose…</option>
            {runs.map((r) => (
              <option key={r.runId} value={r.runId}>
                {label(r.runId)}
              </option>
            ))}
          </select>
        </Field>
      ))}
      <button data-testid="compare-runs" disabled={!runA || !runB || runA === runB} onClick={() => void a.compareRuns()}>
        Compare runs
      </button>
    </fieldset>
  );
}

/** `onPickItem` gets the runs' layer so the strip above can show the same measurement. */
export function CompareRuns({ onPickItem }: { onPickItem: (itemId: string, layer: number) => void }) {
  const summary = useCompareStore((s) => s.summary);
  const recordsA = useCompareStore((s) => s.recordsA);
  const recordsB = useCompareStore((s) => s.recordsB);
  const pairs = useMemo(() => {
    if (!summary) return [];
    const key = String(summary.layer);
    const b = new Map(recordsB.map((r) => [r.itemId, r]));
    return recordsA.flatMap((ra) => {
      const rb = b.get(ra.itemId);
      const x = ra.layers[key]?.coveragePaper;
      const y = rb?.layers[key]?.coveragePaper;
      return x !== undefined && y !== undefined ? [{ id: ra.itemId, x, y, cls: y >= x ? '' : 'alt' }] : [];
    });
  }, [summary, recordsA, recordsB]);
  if (!summary) return null;
  const d = summary.coverageDelta;
  const w = summary.wilcoxon;
  return (
    <div className="dashboard" data-testid="compare-runs-result">
      <div className="cards">
        <div className="card">
          <div className="muted" data-testid="runs-coverage-label">
            Coverage change B − A · {recordLabel(summary.layer)} · {d.n} paired items
          </div>
          <div className="stat" data-testid="coverage-delta">
            {d.mean >= 0 ? '+' : ''}
            {(d.mean * 100).toFixed(2)} pp
          </div>
          <div className="small">
            95% CI [{(d.lo * 100).toFixed(2)}, {(d.hi * 100).toFixed(2)}] pp · median {(d.median * 100).toFixed(2)} pp
          </div>
          <div className="small" data-testid="wilcoxon">
            Wilcoxon signed-rank: W = {w.statistic.toFixed(1)}, z = {w.z.toFixed(2)}, p ={' '}
            {w.pValue < 1e-4 ? w.pValue.toExponential(1) : w.pValue.toFixed(4)} (n = {w.n})
          </div>
          <div className="small">
            Accuracy change: {(summary.accuracyDelta.mean * 100).toFixed(1)} pp [{(summary.accuracyDelta.lo * 100).toFixed(1)},{' '}
            {(summary.accuracyDelta.hi * 100).toFixed(1)}]
          </div>
        </div>
        <ChartCard
          title="Coverage before vs after"
          caption={`Paper coverage per item · ${recordLabel(summary.layer)} · run A ${summary.runA} against run B ${summary.runB}.`}
          testId="chart-paired"
          note="Each dot is an item; above the diagonal = B covers the key region more. Click to compare the item."
        >
          {(w) => (
            <Scatter
              points={pairs}
              xLabel="coverage A"
              yLabel="coverage B"
              onPick={(id) => onPickItem(id, summary.layer)}
              width={Math.min(w, 360)}
              height={280}
            />
          )}
        </ChartCard>
        <ChartCard
          title="Coverage change per item"
          testId="chart-delta"
          caption={`B − A paper coverage per item · ${recordLabel(summary.layer)} · run A ${summary.runA}, run B ${summary.runB}.`}
        >
          {(w) => (
            <Histogram
              values={pairs.map((p) => p.y - p.x)}
              xLabel="B − A coverage"
              format={(v) => `${(v * 100).toFixed(0)}`}
              markers={[{ value: 0, label: '0' }]}
              width={w}
            />
          )}
        </ChartCard>
      </div>
      <div className="cards">
        <div className="card">
          <div className="chart-title">Most changed items</div>
          <div className="muted small" data-testid="most-changed-label">
            Paper coverage from the runs’ records · {recordLabel(summary.layer)}. Opening an item sets the strip above to this measurement.
          </div>
          <table className="data-table" data-testid="most-changed">
            <thead>
              <tr>
                <th>item</th>
                <th>A</th>
                <th>B</th>
                <th>Δ</th>
              </tr>
            </thead>
            <tbody>
              {summary.mostChanged.slice(0, 12).map((m) => (
                <tr
                  key={m.itemId}
                  className="clickable"
                  tabIndex={0}
                  onClick={() => onPickItem(m.itemId, summary.layer)}
                  onKeyDown={(e) => e.key === 'Enter' && onPickItem(m.itemId, summary.layer)}
                >
                  <td>{m.itemId}</td>
                  <td>{pct(m.coverageA)}</td>
                  <td>{pct(m.coverageB)}</td>
                  <td>
                    {m.delta >= 0 ? '+' : ''}
                    {(m.delta * 100).toFixed(1)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <CompareAnalyses summary={summary} onPickItem={(id) => onPickItem(id, summary.layer)} />
        <div className="card">
          <div className="chart-title">Flipped answers ({summary.flipped.length})</div>
          <div className="table-wrap">
            <table className="data-table" data-testid="flipped">
              <thead>
                <tr>
                  <th>item</th>
                  <th>view</th>
                  <th>A</th>
                  <th>B</th>
                </tr>
              </thead>
              <tbody>
                {summary.flipped.map((f) => (
                  <tr key={`${f.itemId}-${f.view}`} className="clickable" onClick={() => onPickItem(f.itemId, summary.layer)}>
                    <td>{f.itemId}</td>
                    <td>{f.view}</td>
                    <td className={f.from === 'correct' ? 'good' : 'bad'}>
                      {f.answerA} ({f.from})
                    </td>
                    <td className={f.to === 'correct' ? 'good' : 'bad'}>
                      {f.answerB} ({f.to})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </div>
  );
}

/** Finds a bench item by id across loaded benches (for links from the run comparison). */
export function findItem(itemId: string) {
  for (const [benchId, items] of Object.entries(useBenchStore.getState().items)) {
    const it = items.find((i) => i.id === itemId);
    if (it) return { benchId, it };
  }
  return null;
}
