// The selected run's dashboard: judgements counted apart with their denominators, accuracy over all and
// over judged items, the zooming gap, coverage per layer with CI, histogram, coverage vs correctness,
// failed items with their errors, and the item table that links into Replay. Every chart says what its
// numbers measure.
import { useMemo } from 'react';
import type { AccuracyStat, RunInfo, RunSummary } from '../../../../electron/contract/types.js';
import { ChartCard } from '../../charts/ChartCard.js';
import { Bars } from '../../charts/Bars.js';
import { AnalysesCharts } from './AnalysesCharts.js';
import { BandCurve } from '../../charts/BandCurve.js';
import { Histogram } from '../../charts/Histogram.js';
import { Strip } from '../../charts/Strip.js';
import { EmptyState, ErrorBanner, JudgeRules, pct } from '../../components/common.js';
import { byItem, useBatchActions, useBatchStore, useRunProgress } from '../../stores/batch.js';
import { saveBytes, saveText } from '../../export/download.js';
import { exportName, safePart } from '../../../../electron/engine/formats/names.js';
import type { ExportFormat } from '../../../../electron/contract/api.js';
import { recordLabel } from '../../selection/labels.js';
import { BatchItemTable, openInReplay } from './BatchItemTable.js';
import { RunNotes } from './RunNotes.js';
import { runTitle, settingsText, startedText } from './runText.js';

const fmtPct = (v: number) => `${v.toFixed(0)}%`;

/** A domain around 0 wide enough for the values and never narrower than ±min (all-zero gaps stay readable). */
function symmetric(values: number[], min: number): [number, number] {
  const m = Math.max(min, ...values.map(Math.abs));
  return [Math.min(0, ...values) < 0 ? -m : 0, m];
}

const EXT: Record<ExportFormat, { ext: string; mime: string }> = {
  csv: { ext: 'records.csv', mime: 'text/csv' },
  json: { ext: 'summary.json', mime: 'application/json' },
  grids: { ext: 'grids.json', mime: 'application/json' },
  npz: { ext: 'npz', mime: 'application/octet-stream' },
};

export function BatchDashboard() {
  const summary = useBatchStore((s) => s.summary);
  const records = useBatchStore((s) => s.records);
  const runId = useBatchStore((s) => s.selectedRunId);
  const run = useBatchStore((s) => s.runs.find((r) => r.runId === s.selectedRunId));
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
      if (c === undefined || r.error !== undefined) continue;
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
  const fileBase = [
    safePart(summary.modelName),
    safePart(summary.benchName),
    (run?.startedAt ?? new Date().toISOString()).slice(0, 10),
  ].join('_');
  const doExport = async (format: ExportFormat) => {
    const out = await a.exportRun(format);
    const name = exportName(
      { model: summary.modelName, subject: summary.benchName, date: run?.startedAt ?? new Date(), detail: [summary.runId] },
      EXT[format].ext,
    );
    if (out?.bytes) saveBytes(out.bytes, name, EXT[format].mime);
    else if (out?.text !== undefined) saveText(out.text, name, EXT[format].mime);
  };
  const judged = summary.accuracy.global.judged + summary.accuracy.regional.judged;
  const covLabel = recordLabel(layer);
  const source = `${summary.modelName} on ${summary.benchName}, run ${summary.runId}`;
  return (
    <main className="dashboard" data-testid="dashboard">
      <ErrorBanner error={error} onDismiss={a.clearError} />
      <Headline summary={summary} run={run} onExport={(f) => void doExport(f)} />
      {summary.failures.length > 0 ? <Failures summary={summary} run={run} /> : null}
      <div className="cards">
        {judged === 0 ? (
          <div className="card" data-testid="chart-accuracy">
            <EmptyState title="No answer could be judged">
              The rules decided none of this run’s answers (see the verdicts in the item table and the rules under ?), so accuracy and the
              zooming gap say nothing here. Coverage below does not depend on judging.
            </EmptyState>
          </div>
        ) : (
          <>
            <ChartCard
              title="Accuracy per dimension"
              testId="chart-accuracy"
              note="Accuracy over all items of each dimension (unjudged and failed count as not correct). Global = full image; regional = key-region crop."
              caption={`Accuracy over all items, per dimension. ${source}.`}
              fileBase={fileBase}
            >
              {(w, h) => (
                <Bars
                  groups={Object.entries(summary.byDimension).map(([dim, d]) => ({
                    label: dim,
                    bars: [
                      { key: 'global', value: d.global.accuracy * 100, title: `${dim} · global: ${countsText(d.global)}` },
                      {
                        key: 'regional',
                        value: d.regional.accuracy * 100,
                        cls: 'alt',
                        title: `${dim} · regional: ${countsText(d.regional)}`,
                      },
                    ],
                  }))}
                  yLabel="accuracy (%)"
                  format={fmtPct}
                  domain={[0, 100]}
                  width={w}
                  height={h}
                />
              )}
            </ChartCard>
            <ChartCard
              title="Zooming gap per dimension"
              testId="chart-gap"
              note="Regional minus global accuracy over all items, percentage points."
              caption={`Regional minus global accuracy (over all items), percentage points. ${source}.`}
              fileBase={fileBase}
            >
              {(w, h) => (
                <Bars
                  groups={Object.entries(summary.byDimension).map(([dim, d]) => ({ label: dim, bars: [{ key: 'gap', value: d.gap }] }))}
                  yLabel="gap (pp)"
                  format={(v) => v.toFixed(0)}
                  width={w}
                  height={h}
                  domain={symmetric(
                    Object.values(summary.byDimension).map((d) => d.gap),
                    10,
                  )}
                />
              )}
            </ChartCard>
          </>
        )}
        <ChartCard
          title="Coverage per layer (global view)"
          testId="chart-layers"
          note="Mean paper coverage, mean of heads, prompt token, with bootstrap 95% CI; dashed: mean box area share (uniform attention)."
          caption={`Mean paper coverage per layer · mean of heads · prompt token · global view, bootstrap 95% CI; dashed: mean box area share. ${source}.`}
          fileBase={fileBase}
        >
          {(w, h) => (
            <BandCurve
              points={Object.entries(summary.coverageByLayer)
                .map(([l, c]) => ({ x: Number(l), mean: c.mean, lo: c.lo, hi: c.hi }))
                .sort((p, q) => p.x - q.x)}
              xLabel="layer"
              yLabel="coverage"
              baseline={summary.meanBoxAreaShare}
              width={w}
              height={h}
            />
          )}
        </ChartCard>
        <ChartCard
          title={`Coverage histogram · ${covLabel}`}
          testId="chart-hist"
          caption={`Paper coverage per item · ${covLabel}. ${source}.`}
          fileBase={fileBase}
          note={summary.noBoxItems ? `${summary.noBoxItems} item(s) without a key box are not in it (coverage “no box”).` : undefined}
        >
          {(w, h) => (
            <Histogram
              values={coverages.all}
              xLabel="paper coverage"
              markers={[{ value: summary.meanBoxAreaShare, label: 'box share' }]}
              width={w}
              height={h}
              domain={[0, Math.max(0.05, ...coverages.all)]}
            />
          )}
        </ChartCard>
        <ChartCard
          title={`Coverage vs correctness · ${covLabel}`}
          testId="chart-correct"
          caption={`Paper coverage of correct and wrong answers · ${covLabel}, mean with bootstrap 95% CI. ${source}.`}
          fileBase={fileBase}
        >
          {(w, h) => (
            <Strip
              groups={[
                { label: 'correct', values: coverages.correct, ci: summary.coverageCorrectVsWrong.correct },
                { label: 'wrong', values: coverages.wrong, ci: summary.coverageCorrectVsWrong.wrong, cls: 'alt' },
              ]}
              yLabel="coverage"
              width={w}
              height={h}
            />
          )}
        </ChartCard>
        <AnalysesCharts summary={summary} source={source} fileBase={fileBase} />
      </div>
      <BatchItemTable records={records} layer={layer} />
    </main>
  );
}

/** A gap means something only when both views have items and some answer in them could be judged. */
function gapMeaningful(s: RunSummary): boolean {
  const g = s.accuracy.global;
  const r = s.accuracy.regional;
  return g.items > 0 && r.items > 0 && g.judged + r.judged > 0;
}

function countsText(a: AccuracyStat): string {
  return `${a.correct} correct, ${a.wrong} wrong, ${a.unjudged} unjudged, ${a.failed} failed of ${a.items}`;
}

function AccuracyCard({ view, a }: { view: 'global' | 'regional'; a: AccuracyStat }) {
  return (
    <div className="card" data-testid={`acc-${view}`}>
      <div className="muted">
        {view === 'global' ? 'Global view (full image)' : 'Regional view (crop)'} <JudgeRules />
      </div>
      <div className="stat" data-testid={`acc-${view}-all`}>
        {/* With no judged answer, 0% would read as "all wrong": say nothing instead. */}
        {a.judged > 0 ? pct(a.accuracy) : '–'} <span className="stat-unit">of all {a.items} items</span>
      </div>
      <div data-testid={`acc-${view}-judged`}>
        {a.judged > 0 ? pct(a.accuracyJudged) : '–'} <span className="muted">of {a.judged} judged</span>
      </div>
      <div className="counts small" data-testid={`acc-${view}-counts`}>
        <span className="good-text">{a.correct} correct</span> · <span className="bad-text">{a.wrong} wrong</span> ·{' '}
        <span title="The rules could not decide these answers (see the rules under ?)">{a.unjudged} unjudged</span> ·{' '}
        <span className={a.failed ? 'warn-text' : ''} title="The model could not run on these items (their errors are listed below)">
          {a.failed} failed
        </span>
      </div>
    </div>
  );
}

function Headline({ summary, run, onExport }: { summary: RunSummary; run: RunInfo | undefined; onExport: (f: ExportFormat) => void }) {
  const progress = useRunProgress(summary.runId) ?? { done: summary.done, total: summary.total, failed: summary.failed };
  return (
    <div className="cards headline" data-testid="batch-headline">
      <div className="card run-card">
        <div className="muted">{run ? runTitle(run) : `${summary.modelName} on ${summary.benchName}`}</div>
        <div className="small">
          {summary.modelName} on {summary.benchName}
          {run ? ` · started ${startedText(run)} · ${run.state}` : ''}
        </div>
        <div className="small muted" data-testid="run-settings-headline">
          {settingsText({ spec: summary.spec })}
        </div>
        <div data-testid="headline-done">
          {progress.done}/{progress.total} records{progress.failed ? `, ${progress.failed} failed` : ''}
        </div>
        <div className="row">
          <button onClick={() => onExport('csv')} data-testid="export-csv" title="One row per record, every metric of every recorded layer">
            CSV
          </button>
          <button onClick={() => onExport('json')} data-testid="export-json-run" title="The run summary">
            JSON
          </button>
          <button onClick={() => onExport('npz')} data-testid="export-npz-run" title="All of the run's arrays for NumPy (docs/exports.md)">
            NPZ
          </button>
        </div>
        {run ? <RunNotes run={run} /> : null}
      </div>
      <AccuracyCard view="global" a={summary.accuracy.global} />
      <AccuracyCard view="regional" a={summary.accuracy.regional} />
      <div className="card">
        <div className="muted">Zooming gap</div>
        <div className="stat" data-testid="zooming-gap">
          {gapMeaningful(summary) ? `${summary.zoomingGap.toFixed(1)} pp` : '–'}
        </div>
        <div className="muted small">
          {gapMeaningful(summary) ? 'regional minus global, accuracy over all items' : 'needs judged answers in both views'}
        </div>
      </div>
      <div className="card">
        <div className="muted">Coverage · {recordLabel(summary.coverageCorrectVsWrong.layer)}</div>
        <div className="stat" data-testid="coverage-mean">
          {pct(summary.coverageByLayer[String(summary.coverageCorrectVsWrong.layer)]?.mean)}
        </div>
        <div className="muted small">
          mean over {summary.coverageByLayer[String(summary.coverageCorrectVsWrong.layer)]?.n ?? 0} items with a box · box share{' '}
          {pct(summary.meanBoxAreaShare)} (uniform)
          {summary.noBoxItems ? ` · ${summary.noBoxItems} without a box` : ''}
        </div>
      </div>
    </div>
  );
}

/** Failed records with their errors, each opening the item in Replay. */
function Failures({ summary, run }: { summary: RunSummary; run: RunInfo | undefined }) {
  return (
    <div className="card failures" data-testid="failures">
      <div className="chart-title">
        {summary.failed} failed record{summary.failed === 1 ? '' : 's'}
        {summary.failed > summary.failures.length ? ` (the first ${summary.failures.length}; every error is in the CSV)` : ''}
      </div>
      <ul>
        {summary.failures.map((f) => (
          <li key={`${f.itemId}-${f.view}`}>
            <button className="link" onClick={() => run && void openInReplay(run, f.itemId)}>
              {f.itemId}
            </button>{' '}
            {f.view}: <span className="error-text">{f.error}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
