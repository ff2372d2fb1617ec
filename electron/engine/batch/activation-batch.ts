// Activation maps in batch runs (docs/metrics.md "Activation maps"): what a record keeps of an item's maps,
// and the run's aggregates. The box metrics are the answer's FIRST token's, compared with the attention
// map of the position that produced it (head mean, the model's default layer, query 0), which is also the
// map a record's `layers` describe; the rank correlation is reported for the first token and as the mean
// over all answer tokens. Computed from stored records, like the rest of the summary.
import type { ActivationGroup, ActivationRecord, ActivationResult, ActivationSummary } from '../../contract/analyses.js';
import type { AnalysisResult, BatchRecord, LayerMetrics } from '../../contract/types.js';
import { headAggregate, mapMetrics } from '../metrics/index.js';
import { ciStat, mean, type BootstrapOptions } from '../stats/index.js';

/** Six significant digits: a record is JSON, and float noise would only bloat it. */
function compact(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : 0;
}

function compactMetrics(m: LayerMetrics): LayerMetrics {
  const out = { ...m };
  for (const k of Object.keys(out) as (keyof LayerMetrics)[]) {
    const v = out[k];
    if (typeof v === 'number') (out as Record<string, unknown>)[k] = compact(v);
  }
  return out;
}

export function activationRecord(result: AnalysisResult, a: ActivationResult): ActivationRecord {
  const rec: ActivationRecord = {
    layer: a.layer,
    contextCorrection: a.contextCorrection,
    unembedding: a.unembedding,
    tokens: a.tokens.length,
    meanSpearman: a.meanSpearman,
  };
  const t = a.tokens[0];
  if (t) {
    const { gridH, gridW } = result.geometry;
    rec.first = { text: t.text, spearman: t.spearman, grid: { gridH, gridW, values: t.map.map(compact) } };
    if (t.metrics) rec.first.metrics = compactMetrics(t.metrics);
    if (result.box) {
      const attention = headAggregate(result.attention, a.layer, 'mean', 0);
      rec.first.attention = compactMetrics(mapMetrics(attention, result.geometry, result.box));
    }
  }
  return rec;
}

const meanOrNull = (xs: readonly number[]): number | null => (xs.length > 0 ? mean(xs) : null);
const rate = (xs: readonly boolean[]): number | null => (xs.length > 0 ? xs.filter(Boolean).length / xs.length : null);

function withActivation(records: readonly BatchRecord[]): (BatchRecord & { activation: ActivationRecord })[] {
  return records.filter(
    (r): r is BatchRecord & { activation: ActivationRecord } => r.view === 'global' && r.error === undefined && !!r.activation,
  );
}

function group(rs: readonly { activation: ActivationRecord }[]): ActivationGroup {
  const firsts = rs.map((r) => r.activation.first).filter((f) => f !== undefined);
  const boxed = firsts.filter((f) => f.metrics && f.attention);
  return {
    items: rs.length,
    spearman: meanOrNull(firsts.map((f) => f.spearman).filter((s): s is number => s !== null)),
    coverageActivation: meanOrNull(boxed.map((f) => f.metrics!.coveragePaper)),
    coverageAttention: meanOrNull(boxed.map((f) => f.attention!.coveragePaper)),
    pointingActivation: rate(boxed.map((f) => f.metrics!.pointing)),
    pointingAttention: rate(boxed.map((f) => f.attention!.pointing)),
  };
}

export function summarizeActivation(records: readonly BatchRecord[], bootstrap?: BootstrapOptions): ActivationSummary | undefined {
  const rs = withActivation(records);
  if (rs.length === 0) return undefined;
  const firsts = rs.map((r) => r.activation.first).filter((f) => f !== undefined);
  const boxed = firsts.filter((f) => f.metrics && f.attention);
  const byDim = new Map<string, typeof rs>();
  for (const r of rs) {
    if (r.dimension === undefined) continue;
    if (!byDim.has(r.dimension)) byDim.set(r.dimension, []);
    byDim.get(r.dimension)!.push(r);
  }
  return {
    items: rs.length,
    layer: rs[0].activation.layer,
    contextCorrection: rs[0].activation.contextCorrection,
    spearmanFirst: ciStat(
      firsts.map((f) => f.spearman ?? Number.NaN),
      bootstrap,
    ),
    spearmanTokens: ciStat(
      rs.map((r) => r.activation.meanSpearman ?? Number.NaN),
      bootstrap,
    ),
    coverage: {
      activation: ciStat(
        boxed.map((f) => f.metrics!.coveragePaper),
        bootstrap,
      ),
      attention: ciStat(
        boxed.map((f) => f.attention!.coveragePaper),
        bootstrap,
      ),
    },
    pointing: {
      activation: rate(boxed.map((f) => f.metrics!.pointing)),
      attention: rate(boxed.map((f) => f.attention!.pointing)),
      items: boxed.length,
    },
    byDimension: Object.fromEntries([...byDim].sort(([a], [b]) => a.localeCompare(b)).map(([d, g]) => [d, group(g)])),
  };
}
