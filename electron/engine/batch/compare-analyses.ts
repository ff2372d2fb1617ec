// What two checkpoints' runs say about zooming (docs/metrics.md): did distillation move items from
// "needs a zoom" (wrong on the full image, right on the key region) to "solved in one pass", and how did
// the opt-in analyses' headline figures change.
import type { ZoomNeed, ZoomNeedTransitions } from '../../contract/analyses.js';
import type { BatchRecord, CompareSummary, RunSummary } from '../../contract/types.js';
import { bootstrapCi } from '../stats/bootstrap.js';

const CLASSES: readonly ZoomNeed[] = ['onePass', 'needsZoom', 'unsolved'];

/** An item's class in one run, or undefined when either view failed or was not judged. */
function classOf(global: BatchRecord | undefined, regional: BatchRecord | undefined): ZoomNeed | undefined {
  if (!global || !regional || global.error !== undefined || regional.error !== undefined) return undefined;
  if (global.judgement === 'unjudged' || regional.judgement === 'unjudged') return undefined;
  if (global.judgement === 'correct') return 'onePass';
  return regional.judgement === 'correct' ? 'needsZoom' : 'unsolved';
}

function classes(records: readonly BatchRecord[]): Map<string, ZoomNeed> {
  const g = new Map<string, BatchRecord>();
  const r = new Map<string, BatchRecord>();
  for (const x of records) (x.view === 'global' ? g : r).set(x.itemId, x);
  const out = new Map<string, ZoomNeed>();
  for (const [id, rec] of g) {
    const c = classOf(rec, r.get(id));
    if (c) out.set(id, c);
  }
  return out;
}

/** Undefined when no item is classed in both runs (a run without one of the views). */
export function zoomNeedTransitions(a: readonly BatchRecord[], b: readonly BatchRecord[]): ZoomNeedTransitions | undefined {
  const ca = classes(a);
  const cb = classes(b);
  const counts = Object.fromEntries(
    CLASSES.map((f) => [f, Object.fromEntries(CLASSES.map((t) => [t, 0]))]),
  ) as ZoomNeedTransitions['counts'];
  const movedToOnePass: string[] = [];
  const lostOnePass: string[] = [];
  let items = 0;
  for (const [id, from] of [...ca].sort(([x], [y]) => x.localeCompare(y))) {
    const to = cb.get(id);
    if (!to) continue;
    items++;
    counts[from][to]++;
    if (from === 'needsZoom' && to === 'onePass') movedToOnePass.push(id);
    if (from === 'onePass' && to !== 'onePass') lostOnePass.push(id);
  }
  return items > 0 ? { items, counts, movedToOnePass, lostOnePass } : undefined;
}

type PairedSelfZoom = NonNullable<NonNullable<NonNullable<CompareSummary['analyses']>['selfZoomAccuracy']>['paired']>;

/**
 * Self-zoom correctness item by item (global records with a judged self-zoom answer in both runs): the
 * accuracy difference with a paired bootstrap CI (an item's two answers resampled together; the default
 * seed), and the items only one run got right. Undefined when no item is judged in both.
 */
export function pairedSelfZoom(a: readonly BatchRecord[], b: readonly BatchRecord[]): PairedSelfZoom | undefined {
  const judged = (records: readonly BatchRecord[]) => {
    const out = new Map<string, boolean>();
    for (const r of records) {
      const j = r.view === 'global' && r.error === undefined ? r.selfZoom?.judgement : undefined;
      if (j === 'correct' || j === 'wrong') out.set(r.itemId, j === 'correct');
    }
    return out;
  };
  const ja = judged(a);
  const jb = judged(b);
  const diffs: number[] = [];
  let onlyA = 0;
  let onlyB = 0;
  for (const [id, ca] of [...ja].sort(([x], [y]) => x.localeCompare(y))) {
    const cb = jb.get(id);
    if (cb === undefined) continue;
    diffs.push(Number(cb) - Number(ca));
    if (ca && !cb) onlyA++;
    if (cb && !ca) onlyB++;
  }
  if (diffs.length === 0) return undefined;
  const { lo, hi } = bootstrapCi(diffs);
  return { items: diffs.length, delta: diffs.reduce((s, d) => s + d, 0) / diffs.length, lo, hi, onlyA, onlyB };
}

/** B minus A of the opt-in analyses' headline figures, from both runs' summaries (absent parts stay absent). */
export function compareAnalyses(
  a: Pick<RunSummary, 'selfZoom' | 'faithfulness'>,
  b: Pick<RunSummary, 'selfZoom' | 'faithfulness'>,
  layer: number,
  records?: { a: readonly BatchRecord[]; b: readonly BatchRecord[] },
): CompareSummary['analyses'] | undefined {
  const out: NonNullable<CompareSummary['analyses']> = {};
  if (a.selfZoom && b.selfZoom) {
    const sa = a.selfZoom.accuracy.selfZoom.accuracy;
    const sb = b.selfZoom.accuracy.selfZoom.accuracy;
    out.selfZoomAccuracy = { a: sa, b: sb, delta: sb - sa };
    const paired = records ? pairedSelfZoom(records.a, records.b) : undefined;
    if (paired) out.selfZoomAccuracy.paired = paired;
    out.gapRecovered = { a: a.selfZoom.gapRecovered.value, b: b.selfZoom.gapRecovered.value };
  }
  if (a.faithfulness && b.faithfulness) {
    const key = String(layer);
    const la = a.faithfulness.byLayer[key] ?? Object.values(a.faithfulness.byLayer)[0];
    const lb = b.faithfulness.byLayer[key] ?? Object.values(b.faithfulness.byLayer)[0];
    const used = a.faithfulness.byLayer[key] ? layer : Number(Object.keys(a.faithfulness.byLayer)[0]);
    if (la && lb)
      out.deletionArea = {
        layer: used,
        a: la.area.mean,
        b: lb.area.mean,
        delta: lb.area.mean - la.area.mean,
        randomA: a.faithfulness.random.area.mean,
        randomB: b.faithfulness.random.area.mean,
      };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
