// Per-layer metric bundles: what the batch runner stores and what the renderer shows per layer.
import type { AttentionMaps, Box, GridGeometry, LayerMetrics } from '../../contract/types.js';
import { headAggregate, type HeadMode } from './aggregate.js';
import { attentionRatio, entropy, pointingGame } from './concentration.js';
import { coverageArea, coveragePaper } from './coverage.js';
import { relativeCoveragePaper } from './relative.js';

/** The paper measures decoder layer 24 (1-based) of 36-layer Qwen3-VL models. */
export const PAPER_LAYER = 24;

/**
 * The layer to show first (1-based). 24 whenever the model has it (the paper's choice). Smaller
 * models get the same relative depth, round(2/3 * numLayers) (24/36 = 2/3), at least 1: middle-late
 * layers are where question-dependent grounding shows up in Qwen-VL models.
 */
export function defaultLayer(numLayers: number): number {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new RangeError(`numLayers must be a positive integer; got ${numLayers}.`);
  if (numLayers >= PAPER_LAYER) return PAPER_LAYER;
  return Math.max(1, Math.round((2 / 3) * numLayers));
}

export interface LayerMetricsInput {
  attention: AttentionMaps;
  geometry: GridGeometry;
  box: Box;
  /** Generic-prompt attention (one query, same grid) for relative coverage; optional. */
  genericAttention?: AttentionMaps;
  head?: HeadMode;
  /** Query position; 0 = last prompt token (the paper's). */
  query?: number;
}

function checkGrid(maps: AttentionMaps, geometry: GridGeometry, what: string): void {
  if (maps.gridH !== geometry.gridH || maps.gridW !== geometry.gridW) {
    throw new RangeError(`${what} grid ${maps.gridH}x${maps.gridW} does not match the geometry's ${geometry.gridH}x${geometry.gridW}.`);
  }
}

/**
 * All metrics of one map (any aggregation: one layer, a layer range, one head). `generic` is the
 * generic prompt's map aggregated the same way, for relative coverage.
 */
export function mapMetrics(map: ArrayLike<number>, geometry: GridGeometry, box: Box, generic?: ArrayLike<number>): LayerMetrics {
  const ent = entropy(map);
  const out: LayerMetrics = {
    coveragePaper: coveragePaper(map, geometry, box),
    coverageArea: coverageArea(map, geometry, box),
    ratio: attentionRatio(map, geometry, box),
    pointing: pointingGame(map, geometry, box),
    entropy: ent.nats,
    entropyNormalized: ent.normalized,
  };
  if (generic) out.relCoveragePaper = relativeCoveragePaper(map, generic, geometry, box);
  return out;
}

/** All metrics of one layer (1-based) from a head-aggregated map. */
export function layerMetrics(input: LayerMetricsInput, layer: number): LayerMetrics {
  const { attention, geometry, box } = input;
  checkGrid(attention, geometry, 'Attention');
  const head = input.head ?? 'mean';
  const map = headAggregate(attention, layer, head, input.query ?? 0);
  const generic = input.genericAttention;
  if (generic && layer <= generic.numLayers) {
    checkGrid(generic, geometry, 'Generic-prompt attention');
    return mapMetrics(map, geometry, box, headAggregate(generic, layer, head, 0));
  }
  return mapMetrics(map, geometry, box);
}

/** Metrics for the given 1-based layers (all layers when omitted or empty), keyed by layer number as a string. */
export function metricsByLayer(input: LayerMetricsInput, layers?: readonly number[]): Record<string, LayerMetrics> {
  const list = layers && layers.length > 0 ? layers : Array.from({ length: input.attention.numLayers }, (_, i) => i + 1);
  const out: Record<string, LayerMetrics> = {};
  for (const layer of list) out[String(layer)] = layerMetrics(input, layer);
  return out;
}
