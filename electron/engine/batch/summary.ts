// RunSummary from stored records. Judgements are counted apart (correct, wrong, unjudged, failed), and
// accuracy is given twice, named as such: over all items of a view (correct / items: unjudged and failed
// items count as not correct, as in the paper, where every item counts) and over judged items
// (correct / (correct + wrong)). Accuracies are fractions in [0, 1]; gaps are percentage points.
import type { AccuracyStat, BatchRecord, BatchSpec, CiStat, RunSummary, View } from '../../contract/types.js';
import { ciStat, mean, type BootstrapOptions } from '../stats/index.js';
import { summarizeActivation } from './activation-batch.js';
import { summarizeFaithfulness, summarizeSelfZoom } from './analyses-summary.js';

export function accuracyOf(records: readonly BatchRecord[]): AccuracyStat {
  let correct = 0;
  let wrong = 0;
  let unjudged = 0;
  let failed = 0;
  for (const r of records) {
    if (r.error !== undefined) failed++;
    else if (r.judgement === 'correct') correct++;
    else if (r.judgement === 'wrong') wrong++;
    else unjudged++;
  }
  const judged = correct + wrong;
  const items = judged + unjudged + failed;
  return {
    correct,
    wrong,
    unjudged,
    failed,
    judged,
    items,
    accuracy: items > 0 ? correct / items : 0,
    accuracyJudged: judged > 0 ? correct / judged : 0,
  };
}

/** Regional minus global accuracy (over all items) in percentage points; 0 when either view has no item. */
export function gapOf(global: AccuracyStat, regional: AccuracyStat): number {
  if (global.items === 0 || regional.items === 0) return 0;
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
  const selfZoom = summarizeSelfZoom(records, ctx.bootstrap);
  const faithfulness = summarizeFaithfulness(records, ctx.bootstrap);
  const activation = summarizeActivation(records, ctx.bootstrap);
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
    ...(selfZoom ? { selfZoom } : {}),
    ...(faithfulness ? { faithfulness } : {}),
    ...(activation ? { activation } : {}),
  };
}
