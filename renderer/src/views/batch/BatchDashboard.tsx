// The selected run's dashboard: accuracy and zooming gap, coverage per layer with CI, histogram,
// coverage vs correctness, and the item table that links into Replay.
import { useMemo } from 'react';
import type { RunSummary } from '../../../../electron/contract/types.js';
import { ChartCard } from '../../charts/ChartCard.js';
import { Bars } from '../../charts/Bars.js';
import { BandCurve } from '../../charts/BandCurve.js';
import { Histogram } from '../../charts/Histogram.js';
import { Strip } from '../../charts/Strip.js';
import { EmptyState, ErrorBanner, pct } from '../../components/common.js';
import { byItem, useBatchActions, useBatchStore } from '../../stores/batch.js';
import { saveText } from '../../export/download.js';
import { BatchItemTable } from './BatchItemTable.js';

const fmtPct = (v: number) => `${v.toFixed(0)}%`;

/** A domain around 0 wide enough for the values and never narrower than ±min (all-zero gaps stay readable). */
function symmetric(values: number[], min: number): [number, number] {
  const m = Math.max(min, ...values.map(Math.abs));
  return [Math.min(0, ...values) < 0 ? -m : 0, m];
}

export function BatchDashboard() {
  const summary = useBatchStore((s) => s.summary);
  const records = useBatchStore((s) => s.records);
  const runId = useBatchStore((s) => s.selectedRunId);
  const error = useBatchStore((s) => s.error);
  const a = useBatchActions();
  const layer = summary?.coverageCorrectVsWrong.layer ?? 0;
  const coverages = useMemo(() => {
    const g = byItem(records, 'global');
    const all: number[] = [];
    const correct: number[] = [];
    const wrong: number[] = [];
    for (const r of g.values()) {
      const c = r.layers[String(layer)]?.coveragePaper;
      if (c === undefined) continue;
      all.push(c);
      if (r.judgement === 'correct') correct.push(c);
      else if (r.judgement === 'wrong') wrong.push(c);
    }
    return { all, correct, wrong };
  }, [records, layer]);

  if (!runId) {
    return (
      <main className="dashboard">
        <ErrorBanner error={error} onDismiss={a.clearError} />
        <EmptyState title="No run selected">
          Start a run on the left (the bundled mini bench takes a few minutes on a CPU) or pick a finished one.
        </EmptyState>
      </main>
    );
  }
  if (!summary) {
    return (
      <main className="dashboard">
        <ErrorBanner error={error} onDismiss={a.clearError} />
        <EmptyState title="Loading the run…" />
      </main>
    );
  }
  const doExport = async (format: 'csv' | 'json') => {
    const text = await a.exportRun(format);
    if (text !== null) saveText(text, `${summary.runId}.${format}`, format === 'csv' ? 'text/csv' : 'application/json');
  };
  return (
    <main className="dashboard" data-testid="dashboard">
      <ErrorBanner error={error} onDismiss={a.clearError} />
      <Headline summary={summary} onExport={(f) => void doExport(f)} />
      <div className="cards">
        <ChartCard
          title="Accuracy per dimension"
          testId="chart-accuracy"
          note={
            summary.accuracy.global.judged + summary.accuracy.regional.judged === 0
              ? 'No answer could be judged by the rules (see the item table): accuracy is not meaningful for this run.'
              : 'Global = full image; regional = key-region crop.'
          }
        >
          {(w) => (
            <Bars
              groups={Object.entries(summary.byDimension).map(([dim, d]) => ({
                label: dim,
                bars: [
                  { key: 'global', value: d.global.accuracy * 100 },
                  { key: 'regional', value: d.regional.accuracy * 100, cls: 'alt' },
                ],
              }))}
              yLabel="accuracy (%)"
              format={fmtPct}
              domain={[0, 100]}
              width={w}
            />
          )}
        </ChartCard>
        <ChartCard title="Zooming gap per dimension" testId="chart-gap" note="Regional minus global accuracy, percentage points.">
          {(w) => (
            <Bars
              groups={Object.entries(summary.byDimension).map(([dim, d]) => ({ label: dim, bars: [{ key: 'gap', value: d.gap }] }))}
              yLabel="gap (pp)"
              format={(v) => v.toFixed(0)}
              width={w}
              domain={symmetric(
                Object.values(summary.byDimension).map((d) => d.gap),
                10,
              )}
            />
          )}
        </ChartCard>
        <ChartCard
          title="Coverage per layer (global view)"
          testId="chart-layers"
          note="Mean paper coverage with bootstrap 95% CI; dashed: mean box area share (uniform attention)."
        >
          {(w) => (
            <BandCurve
              points={Object.entries(summary.coverageByLayer)
                .map(([l, c]) => ({ x: Number(l), mean: c.mean, lo: c.lo, hi: c.hi }))
                .sort((p, q) => p.x - q.x)}
              xLabel="layer"
              yLabel="coverage"
              baseline={summary.meanBoxAreaShare}
              width={w}
            />
          )}
        </ChartCard>
        <ChartCard title={`Coverage histogram (layer ${layer})`} testId="chart-hist">
          {(w) => (
            <Histogram
              values={coverages.all}
              xLabel="paper coverage"
              markers={[{ value: summary.meanBoxAreaShare, label: 'box share' }]}
              width={w}
              domain={[0, Math.max(0.05, ...coverages.all)]}
            />
          )}
        </ChartCard>
        <ChartCard title={`Coverage vs correctness (layer ${layer})`} testId="chart-correct">
          {(w) => (
            <Strip
              groups={[
                { label: 'correct', values: coverages.correct, ci: summary.coverageCorrectVsWrong.correct },
                { label: 'wrong', values: coverages.wrong, ci: summary.coverageCorrectVsWrong.wrong, cls: 'alt' },
              ]}
              yLabel="coverage"
              width={w}
            />
          )}
        </ChartCard>
      </div>
      <BatchItemTable records={records} layer={layer} />
    </main>
  );
}

/** Accuracy, or a dash when the rules could judge no answer (0% would be a false statement). */
function acc(a: RunSummary['accuracy']['global']): string {
  return a.judged > 0 ? pct(a.accuracy) : '–';
}

function Headline({ summary, onExport }: { summary: RunSummary; onExport: (f: 'csv' | 'json') => void }) {
  return (
    <div className="cards headline" data-testid="batch-headline">
      <div className="card">
        <div className="muted">
          {summary.modelName} on {summary.benchName}
        </div>
        <div>
          {summary.done}/{summary.total} items{summary.failed ? `, ${summary.failed} failed` : ''}
        </div>
        <div className="row">
          <button onClick={() => onExport('csv')} data-testid="export-csv">
            Export CSV
          </button>
          <button onClick={() => onExport('json')} data-testid="export-json-run">
            Export JSON
          </button>
        </div>
      </div>
      <div className="card">
        <div className="muted">Accuracy global / regional</div>
        <div className="stat" data-testid="acc-global-regional">
          {acc(summary.accuracy.global)} / {acc(summary.accuracy.regional)}
        </div>
        <div className="muted small">
          {summary.accuracy.global.correct}/{summary.accuracy.global.judged} and {summary.accuracy.regional.correct}/
          {summary.accuracy.regional.judged} judged
        </div>
      </div>
      <div className="card">
        <div className="muted">Zooming gap</div>
        <div className="stat" data-testid="zooming-gap">
          {summary.zoomingGap.toFixed(1)} pp
        </div>
        <div className="muted small">regional minus global</div>
      </div>
      <div className="card">
        <div className="muted">Coverage at layer {summary.coverageCorrectVsWrong.layer}</div>
        <div className="stat" data-testid="coverage-mean">
          {pct(summary.coverageByLayer[String(summary.coverageCorrectVsWrong.layer)]?.mean)}
        </div>
        <div className="muted small">box share {pct(summary.meanBoxAreaShare)} (uniform)</div>
      </div>
    </div>
  );
}
