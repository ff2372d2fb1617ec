// Checkpoint comparison (e.g. base vs R2I-trained student on the same bench): records of two runs
// paired by item and view, B minus A.
import type { BatchRecord, CompareSummary, View } from '../../contract/types.js';
import { zoomNeedTransitions } from './compare-analyses.js';
import { bootstrapCi, ciStat, mean, wilcoxonSignedRank, type BootstrapOptions } from '../stats/index.js';

export interface CompareOptions {
  runA: string;
  runB: string;
  /** 1-based layer whose paper coverage is compared. */
  layer: number;
  /** How many items to list under mostChanged (default 20). */
  top?: number;
  bootstrap?: BootstrapOptions;
}

interface Pair {
  itemId: string;
  view: View;
  a: BatchRecord;
  b: BatchRecord;
}

/** Pairs by `${itemId}|${view}` (keys differ between runs: they contain the model hash); records with errors are left out. */
export function pairRecords(a: readonly BatchRecord[], b: readonly BatchRecord[]): Pair[] {
  const index = new Map<string, BatchRecord>();
  for (const r of b) if (r.error === undefined) index.set(`${r.itemId}|${r.view}`, r);
  const pairs: Pair[] = [];
  for (const r of a) {
    if (r.error !== undefined) continue;
    const other = index.get(`${r.itemId}|${r.view}`);
    if (other) pairs.push({ itemId: r.itemId, view: r.view, a: r, b: other });
  }
  return pairs;
}

const score = (r: BatchRecord) => (r.judgement === 'correct' ? 1 : 0);

/**
 * Coverage delta (paired bootstrap CI of the mean B - A, and Wilcoxon signed-rank on the same
 * differences) over global-view pairs that have the layer in both runs. Accuracy delta over
 * global-view pairs (all pairs when there are no global ones), each answer scored 1 if correct.
 * Flips list every pair whose judgement changed, in both views.
 */
export function compareRecords(a: readonly BatchRecord[], b: readonly BatchRecord[], options: CompareOptions): CompareSummary {
  const pairs = pairRecords(a, b);
  const key = String(options.layer);
  const covered = pairs.filter((p) => p.view === 'global' && p.a.layers[key] !== undefined && p.b.layers[key] !== undefined);
  const deltas = covered.map((p) => p.b.layers[key].coveragePaper - p.a.layers[key].coveragePaper);
  const globalPairs = pairs.filter((p) => p.view === 'global');
  const accPairs = globalPairs.length > 0 ? globalPairs : pairs;
  const accDeltas = accPairs.map((p) => score(p.b) - score(p.a));
  const accCi = accDeltas.length > 0 ? bootstrapCi(accDeltas, options.bootstrap) : { lo: 0, hi: 0 };
  const w = wilcoxonSignedRank(deltas);
  const mostChanged = covered
    .map((p, i) => ({
      itemId: p.itemId,
      coverageA: p.a.layers[key].coveragePaper,
      coverageB: p.b.layers[key].coveragePaper,
      delta: deltas[i],
    }))
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.itemId.localeCompare(y.itemId))
    .slice(0, options.top ?? 20);
  const flipped = pairs
    .filter((p) => p.a.judgement !== p.b.judgement)
    .map((p) => ({ itemId: p.itemId, view: p.view, from: p.a.judgement, to: p.b.judgement, answerA: p.a.answer, answerB: p.b.answer }));
  const zoomNeed = zoomNeedTransitions(a, b);
  return {
    runA: options.runA,
    runB: options.runB,
    layer: options.layer,
    pairedItems: pairs.length,
    coverageDelta: ciStat(deltas, options.bootstrap),
    accuracyDelta: { mean: accDeltas.length > 0 ? mean(accDeltas) : 0, lo: accCi.lo, hi: accCi.hi },
    wilcoxon: { statistic: w.statistic, z: w.z, pValue: w.pValue, n: w.n },
    flipped,
    mostChanged,
    ...(zoomNeed ? { zoomNeed } : {}),
  };
}
