// One analysis as .npz: every query, layer and head of the attention over the visual tokens, the
// answer's tokens, the geometry, the box and, when the analysis has them, the answer tokens' activation maps. Browser-safe: the renderer exports it from Inspect.
// Layout (version 1) in docs/exports.md, with a Python snippet that loads it.
import type { AnalysisResult, Box } from '../../contract/types.js';
import { metricsByLayer } from '../metrics/index.js';
import { f32, i32, jsonScalar, npzBytes, str, type NpyArray } from './npy.js';

export const ANALYSIS_NPZ_FORMAT = 'loupe-analysis-npz/1';

export interface AnalysisNpzContext {
  modelName: string;
  /** What the image was (file name, bench item). */
  imageName: string;
  /** The box the metrics used (the analysis's own box when absent). */
  box?: Box | null;
  exportedAt?: string;
}

export function analysisToNpz(result: AnalysisResult, ctx: AnalysisNpzContext): Uint8Array {
  const a = result.attention;
  const act = result.activation;
  const box = ctx.box === undefined ? result.box : (ctx.box ?? undefined);
  const arrays: Record<string, NpyArray> = {
    meta: jsonScalar({
      format: ANALYSIS_NPZ_FORMAT,
      model: ctx.modelName,
      modelId: result.modelId,
      provider: result.provider,
      image: ctx.imageName,
      question: result.question,
      prompt: result.prompt,
      answer: result.answer,
      geometry: result.geometry,
      box: box ?? null,
      // Results saved before protocols existed (replays of old sessions) have no record: null.
      protocol: result.preprocess?.protocol ?? null,
      maxPixels: result.preprocess?.maxPixels ?? null,
      preprocess: result.preprocess ?? null,
      timings: result.timings,
      attention:
        '[query, layer, head, row, col]: query 0 = last prompt token, query i = generated token i-1; layers and heads 0-based here (layer index 0 = layer 1)',
      metrics: "metrics_* are per layer (index 0 = layer 1), head mean, query 0 (the paper's measurement), present when a box is",
      activation: act
        ? {
            layer: act.layer,
            contextCorrection: act.contextCorrection,
            unembedding: act.unembedding,
            meanSpearman: act.meanSpearman,
            maps: "[token, row, col]: relu(h_v . u_c) per visual cell for the answer token activation_token_index (0-based); spearman against that token's attention at `layer`, head mean",
          }
        : null,
      exportedAt: ctx.exportedAt ?? new Date().toISOString(),
    }),
    attention: f32(a.data, [a.numQueries, a.numLayers, a.numHeads, a.gridH, a.gridW]),
    token_id: i32(result.tokens.map((t) => t.id)),
    token_text: str(result.tokens.map((t) => t.text)),
    token_prob: f32(result.tokens.map((t) => t.prob)),
    grid_hw: i32([a.gridH, a.gridW]),
    image_hw: i32([result.geometry.imageHeight, result.geometry.imageWidth]),
  };
  const g = result.genericAttention;
  if (g) arrays.generic_attention = f32(g.data, [g.numQueries, g.numLayers, g.numHeads, g.gridH, g.gridW]);
  if (box) {
    arrays.box = f32(box);
    const byLayer = metricsByLayer({ attention: a, geometry: result.geometry, box, ...(g ? { genericAttention: g } : {}) });
    const layers = Array.from({ length: a.numLayers }, (_, i) => byLayer[String(i + 1)]);
    arrays.metrics_coverage_paper = f32(layers.map((m) => m.coveragePaper));
    arrays.metrics_coverage_area = f32(layers.map((m) => m.coverageArea));
    arrays.metrics_ratio = f32(layers.map((m) => m.ratio));
    arrays.metrics_pointing = i32(layers.map((m) => (m.pointing ? 1 : 0)));
    arrays.metrics_entropy = f32(layers.map((m) => m.entropy));
  }
  if (act && act.tokens.length) {
    // One map per answer token with one (a token whose map could not be built is absent: activation_token_index says which).
    const cells = a.gridH * a.gridW;
    const maps = new Float32Array(act.tokens.length * cells);
    act.tokens.forEach((t, i) => {
      if (t.map.length !== cells)
        throw new Error(`activation map of answer token ${t.index} has ${t.map.length} cells; the grid has ${a.gridH}x${a.gridW}`);
      maps.set(t.map, i * cells);
    });
    arrays.activation = f32(maps, [act.tokens.length, a.gridH, a.gridW]);
    arrays.activation_token_index = i32(act.tokens.map((t) => t.index));
    arrays.activation_alpha = f32(act.tokens.map((t) => t.alpha));
    arrays.activation_spearman = f32(act.tokens.map((t) => t.spearman ?? Number.NaN));
  }
  return npzBytes(arrays);
}
