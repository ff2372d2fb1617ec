// RunSummary from stored records. Accuracy = correct / (judged + unjudged) over records without an
// error, i.e. every answered item counts in the denominator as in the paper (an unjudged answer is
// not counted correct). Accuracies are fractions in [0, 1]; gaps are percentage points.
import type { AccuracyStat, BatchRecord, BatchSpec, CiStat, RunSummary, View } from '../../contract/types.js';
import { ciStat, mean, type BootstrapOptions } from '../stats/index.js';

export function accuracyOf(records: readonly BatchRecord[]): AccuracyStat {
  let correct = 0;
  let judged = 0;
  let unjudged = 0;
  for (const r of records) {
    if (r.error !== undefined) continue;
    if (r.judgement === 'unjudged') unjudged++;
    else {
      judged++;
      if (r.judgement === 'correct') correct++;
    }
  }
  const answered = judged + unjudged;
  return { correct, judged, unjudged, accuracy: answered > 0 ? correct / answered : 0 };
}

/** Regional minus global accuracy in percentage points; 0 when either view has no answered record. */
export function gapOf(global: AccuracyStat, regional: AccuracyStat): number {
  if (global.judged + global.unjudged === 0 || regional.judged + regional.unjudged === 0) return 0;
  return (regional.accuracy - global.accuracy) * 100;
}

function byView(records: readonly BatchRecord[], view: View): BatchRecord[] {
  return records.filter((r) => r.view === view);
}

function grouped(records: readonly BatchRecord[], keyOf: (r: BatchRecord) => string | undefined): RunSummary['byDimension'] {
  const groups = new Map<string, BatchRecord[]>();
  for (const r of records) {
    const k = keyOf(r);
    if (k === undefined) continue;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out: RunSummary['byDimension'] = {};
  for (const [k, rs] of groups) {
    const global = accuracyOf(byView(rs, 'global'));
    const regional = accuracyOf(byView(rs, 'regional'));
    out[k] = { global, regional, gap: gapOf(global, regional) };
  }
  return out;
}

/** Paper coverage at one 1-based layer of the global-view records that have it. */
export function coverageValues(records: readonly BatchRecord[], layer: number, filter: (r: BatchRecord) => boolean = () => true): number[] {
  const key = String(layer);
  return records
    .filter((r) => r.view === 'global' && r.error === undefined && r.layers[key] !== undefined && filter(r))
    .map((r) => r.layers[key].coveragePaper);
}

/** Layers present in the records, ascending. */
export function recordedLayers(records: readonly BatchRecord[]): number[] {
  const set = new Set<number>();
  for (const r of records) for (const k of Object.keys(r.layers)) set.add(Number(k));
  return [...set].sort((a, b) => a - b);
}

/** The layer to headline: the model's default when recorded, else the recorded layer nearest to it. */
export function headlineLayer(records: readonly BatchRecord[], preferred: number): number {
  const layers = recordedLayers(records);
  if (layers.length === 0 || layers.includes(preferred)) return preferred;
  return layers.reduce((best, l) => (Math.abs(l - preferred) < Math.abs(best - preferred) ? l : best), layers[0]);
}

export interface SummaryContext {
  runId: string;
  spec: BatchSpec;
  modelName: string;
  benchName: string;
  /** Work units in the run (item x view). */
  total: number;
  /** The model's default layer (1-based), for coverage of correct vs wrong answers. */
  defaultLayer: number;
  bootstrap?: BootstrapOptions;
}

/** Failures listed in a summary; the CSV export has every one. */
export const MAX_FAILURES_LISTED = 20;

export function summarizeRun(records: readonly BatchRecord[], ctx: SummaryContext): RunSummary {
  const global = accuracyOf(byView(records, 'global'));
  const regional = accuracyOf(byView(records, 'regional'));
  const coverageByLayer: Record<string, CiStat> = {};
  for (const layer of recordedLayers(records)) coverageByLayer[String(layer)] = ciStat(coverageValues(records, layer), ctx.bootstrap);
  const layer = headlineLayer(records, ctx.defaultLayer);
  const shares = records
    .filter((r) => r.view === 'global' && r.error === undefined && r.boxAreaShare !== undefined)
    .map((r) => r.boxAreaShare!);
  return {
    runId: ctx.runId,
    spec: ctx.spec,
    modelName: ctx.modelName,
    benchName: ctx.benchName,
    done: records.length,
    total: ctx.total,
    failed: records.filter((r) => r.error !== undefined).length,
    accuracy: { global, regional },
    zoomingGap: gapOf(global, regional),
    byDimension: grouped(records, (r) => r.dimension),
    byQuestionType: grouped(records, (r) => r.questionType),
    coverageByLayer,
    coverageCorrectVsWrong: {
      correct: ciStat(
        coverageValues(records, layer, (r) => r.judgement === 'correct'),
        ctx.bootstrap,
      ),
      wrong: ciStat(
        coverageValues(records, layer, (r) => r.judgement === 'wrong'),
        ctx.bootstrap,
      ),
      layer,
    },
    meanBoxAreaShare: shares.length > 0 ? mean(shares) : 0,
    noBoxItems: records.filter((r) => r.view === 'global' && r.error === undefined && r.bbox === undefined).length,
    failures: records
      .filter((r) => r.error !== undefined)
      .slice(0, MAX_FAILURES_LISTED)
      .map((r) => ({ itemId: r.itemId, view: r.view, error: r.error! })),
  };
}
