// Run aggregates of the opt-in analyses (docs/metrics.md): self-zoom accuracy beside global and regional
// accuracy, the share of the zooming gap self-zoom recovers with a bootstrap CI, and deletion areas per
// layer against random deletion. Computed from stored records, like the rest of the summary.
import type { FaithfulnessSummary, SelfZoomSummary, ThreeWayAccuracy, ZoomOutcomes } from '../../contract/analyses.js';
import type { BatchRecord, Judgement } from '../../contract/types.js';
import { gapRecovered } from '../metrics/index.js';
import { ciStat, DEFAULT_SEED, mean, quantileSorted, type BootstrapOptions } from '../stats/index.js';
import { seededRng } from '../stats/index.js';
import { accuracyOf } from './summary.js';

/** One item's three answers: global (with its self-zoom answer) and, when the run has it, regional. */
interface Triple {
  itemId: string;
  dimension?: string;
  questionType: string;
  global: BatchRecord;
  selfZoom: Judgement;
  regional?: BatchRecord;
}

function triples(records: readonly BatchRecord[]): Triple[] {
  const regional = new Map<string, BatchRecord>();
  for (const r of records) if (r.view === 'regional') regional.set(r.itemId, r);
  const out: Triple[] = [];
  for (const r of records) {
    if (r.view !== 'global' || r.error !== undefined || !r.selfZoom) continue;
    const t: Triple = { itemId: r.itemId, questionType: r.questionType, global: r, selfZoom: r.selfZoom.judgement };
    if (r.dimension !== undefined) t.dimension = r.dimension;
    const reg = regional.get(r.itemId);
    if (reg) t.regional = reg;
    out.push(t);
  }
  return out;
}

const correct = (j: Judgement | undefined): number => (j === 'correct' ? 1 : 0);

function threeWay(ts: readonly Triple[]): ThreeWayAccuracy {
  // Gap and accuracies over the items that have all three answers when the run has regional records.
  const withRegional = ts.filter((t) => t.regional !== undefined);
  const use = withRegional.length > 0 ? withRegional : ts;
  const global = accuracyOf(use.map((t) => t.global));
  const selfZoom = accuracyOf(use.map((t) => ({ ...t.global, judgement: t.selfZoom })));
  const regional = accuracyOf(withRegional.map((t) => t.regional!));
  const rec = regional.items > 0 ? gapRecovered(global.accuracy, selfZoom.accuracy, regional.accuracy) : Number.NaN;
  return { items: use.length, global, selfZoom, regional, gapRecovered: Number.isFinite(rec) ? rec : null };
}

function groupBy(ts: readonly Triple[], key: (t: Triple) => string | undefined): Record<string, ThreeWayAccuracy> {
  const groups = new Map<string, Triple[]>();
  for (const t of ts) {
    const k = key(t);
    if (k === undefined) continue;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(t);
  }
  const out: Record<string, ThreeWayAccuracy> = {};
  for (const [k, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) out[k] = threeWay(g);
  return out;
}

/**
 * Percentile bootstrap of the gap recovered: items resampled with replacement (global, self-zoom and
 * regional answers of an item stay together); resamples whose gap is zero have no ratio and are skipped.
 */
export function gapRecoveredCi(
  rows: readonly { g: number; s: number; r: number }[],
  options: BootstrapOptions = {},
): SelfZoomSummary['gapRecovered'] {
  const n = rows.length;
  const ratio = (idx: ArrayLike<number>) => {
    let g = 0;
    let s = 0;
    let r = 0;
    for (let i = 0; i < idx.length; i++) {
      g += rows[idx[i]].g;
      s += rows[idx[i]].s;
      r += rows[idx[i]].r;
    }
    return r === g ? Number.NaN : (s - g) / (r - g);
  };
  if (n === 0) return { value: null, lo: null, hi: null, n: 0 };
  const value = ratio(Array.from({ length: n }, (_, i) => i));
  const rng = seededRng(options.seed ?? DEFAULT_SEED);
  const iterations = options.iterations ?? 2000;
  const level = options.level ?? 0.95;
  const stats: number[] = [];
  const idx = new Int32Array(n);
  for (let b = 0; b < iterations; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng() * n);
    const v = ratio(idx);
    if (Number.isFinite(v)) stats.push(v);
  }
  stats.sort((a, b) => a - b);
  return {
    value: Number.isFinite(value) ? value : null,
    lo: stats.length > 0 ? quantileSorted(stats, (1 - level) / 2) : null,
    hi: stats.length > 0 ? quantileSorted(stats, (1 + level) / 2) : null,
    n,
  };
}

function outcomes(ts: readonly Triple[]): ZoomOutcomes {
  const o: ZoomOutcomes = { onePass: 0, selfZoom: 0, needsKeyRegion: 0, unsolved: 0, selfZoomHurts: 0 };
  for (const t of ts) {
    if (!t.regional || t.regional.error !== undefined) continue;
    const judged = [t.global.judgement, t.selfZoom, t.regional.judgement];
    if (judged.some((j) => j === 'unjudged')) continue;
    if (t.global.judgement === 'correct') {
      o.onePass++;
      if (t.selfZoom !== 'correct') o.selfZoomHurts++;
    } else if (t.selfZoom === 'correct') o.selfZoom++;
    else if (t.regional.judgement === 'correct') o.needsKeyRegion++;
    else o.unsolved++;
  }
  return o;
}

export function summarizeSelfZoom(records: readonly BatchRecord[], bootstrap?: BootstrapOptions): SelfZoomSummary | undefined {
  const ts = triples(records);
  if (ts.length === 0) return undefined;
  const paired = ts.filter((t) => t.regional !== undefined);
  const rows = paired.map((t) => ({ g: correct(t.global.judgement), s: correct(t.selfZoom), r: correct(t.regional!.judgement) }));
  const ious = ts.filter((t) => t.global.selfZoom!.iou !== undefined).map((t) => t.global.selfZoom!.iou!);
  const inside = ts.filter((t) => t.global.selfZoom!.centreInside !== undefined);
  return {
    items: ts.length,
    accuracy: threeWay(ts),
    byDimension: groupBy(ts, (t) => t.dimension),
    byQuestionType: groupBy(ts, (t) => t.questionType),
    gapRecovered: gapRecoveredCi(rows, bootstrap),
    iou: ciStat(ious, bootstrap),
    centreInside: inside.length > 0 ? inside.filter((t) => t.global.selfZoom!.centreInside).length / inside.length : 0,
    windowMass: ciStat(
      ts.map((t) => t.global.selfZoom!.windowMass),
      bootstrap,
    ),
    outcomes: outcomes(ts),
  };
}

export function summarizeFaithfulness(records: readonly BatchRecord[], bootstrap?: BootstrapOptions): FaithfulnessSummary | undefined {
  const rs = records.filter((r) => r.view === 'global' && r.error === undefined && r.faithfulness);
  if (rs.length === 0) return undefined;
  const fractions = rs[0].faithfulness!.random.curves[0]?.points.slice(1).map((p) => p.fraction) ?? [];
  const layers = [...new Set(rs.flatMap((r) => Object.keys(r.faithfulness!.attention).map(Number)))].sort((a, b) => a - b);
  // Per fraction (index i + 1 of the curve's points): mean drop and share of changed answers.
  const perFraction = (curves: { points: { drop: number; changed: boolean }[] }[][]) => {
    const drop = fractions.map((_, i) =>
      mean(curves.flatMap((cs) => cs.map((c) => c.points[i + 1]?.drop ?? Number.NaN)).filter(Number.isFinite)),
    );
    const changed = fractions.map((_, i) => {
      const all = curves.flatMap((cs) => cs.map((c) => c.points[i + 1])).filter((p) => p !== undefined);
      return all.length > 0 ? all.filter((p) => p.changed).length / all.length : 0;
    });
    return { drop: drop.map((d) => (Number.isFinite(d) ? d : 0)), changed };
  };
  const byLayer: FaithfulnessSummary['byLayer'] = {};
  for (const layer of layers) {
    const key = String(layer);
    const with_ = rs.filter((r) => r.faithfulness!.attention[key]);
    byLayer[key] = {
      area: ciStat(
        with_.map((r) => r.faithfulness!.attention[key].area),
        bootstrap,
      ),
      minusRandom: ciStat(
        with_.map((r) => r.faithfulness!.attention[key].area - r.faithfulness!.random.meanArea),
        bootstrap,
      ),
      ...perFraction(with_.map((r) => [r.faithfulness!.attention[key]])),
    };
  }
  const boxed = rs.filter((r) => r.faithfulness!.box);
  const means = layers.map((l) => [l, byLayer[String(l)].area.mean] as const);
  const byDimension: FaithfulnessSummary['byDimension'] = {};
  for (const dim of [...new Set(rs.map((r) => r.dimension).filter((d): d is string => d !== undefined))].sort()) {
    const ds = rs.filter((r) => r.dimension === dim);
    const perLayer: Record<string, number> = {};
    for (const l of layers) {
      const v = ds.filter((r) => r.faithfulness!.attention[String(l)]).map((r) => r.faithfulness!.attention[String(l)].area);
      if (v.length > 0) perLayer[String(l)] = mean(v);
    }
    byDimension[dim] = { items: ds.length, byLayer: perLayer, random: mean(ds.map((r) => r.faithfulness!.random.meanArea)) };
  }
  return {
    items: rs.length,
    fractions,
    byLayer,
    random: {
      area: ciStat(
        rs.map((r) => r.faithfulness!.random.meanArea),
        bootstrap,
      ),
      ...perFraction(rs.map((r) => r.faithfulness!.random.curves)),
    },
    box:
      boxed.length > 0
        ? {
            drop: ciStat(
              boxed.map((r) => r.faithfulness!.box!.drop),
              bootstrap,
            ),
            changed: boxed.filter((r) => r.faithfulness!.box!.changed).length / boxed.length,
            fraction: ciStat(
              boxed.map((r) => r.faithfulness!.box!.fraction),
              bootstrap,
            ),
          }
        : null,
    mostFaithfulLayer: means.length > 0 ? means.reduce((best, m) => (m[1] < best[1] ? m : best))[0] : null,
    byDimension,
  };
}
