// Turns AttentionMaps into per-layer display maps once, so that scrubbing the layer slider only
// has to look up a precomputed array and paint it (no per-frame aggregation).
import type { AttentionMaps } from '../../../electron/contract/types.js';
// Aggregation and relative attention come from the engine's metrics module: one implementation.
import { headAggregate, relativeAttention, type HeadMode } from '../../../electron/engine/metrics/index.js';

export type Norm = 'raw' | 'relative' | 'layerMax';
/** 'mean' and 'max' aggregate heads; a number picks one head (0-based). */
export type HeadSel = 'mean' | 'max' | number;

export interface PreparedMaps {
  numLayers: number;
  gridH: number;
  gridW: number;
  /** Head-aggregated attention per layer in the chosen normalisation's units (raw weights, or ratios for 'relative'). */
  values: Float64Array[];
  /** values mapped to [0, 1] for painting. */
  display: Float32Array[];
  /** What 0 and 1 of `display` mean, per layer (the same for every layer except 'layerMax'). */
  domain: [number, number][];
  norm: Norm;
}

/** The metrics module's head mode for a selection. */
export function headMode(head: HeadSel): HeadMode {
  return typeof head === 'number' ? { head } : head;
}

function maxOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

function percentile(arrays: ArrayLike<number>[], p: number): number {
  const all: number[] = [];
  for (const a of arrays) for (let i = 0; i < a.length; i++) all.push(a[i]);
  all.sort((x, y) => x - y);
  return Math.max(1e-12, all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? 0);
}

export function prepareMaps(
  att: AttentionMaps,
  generic: AttentionMaps | undefined,
  query: number,
  head: HeadSel,
  norm: Norm,
): PreparedMaps {
  const q = Math.min(Math.max(0, query), att.numQueries - 1);
  const effective: Norm = norm === 'relative' && !generic ? 'raw' : norm;
  const mode = headMode(head);
  const values: Float64Array[] = [];
  for (let l = 1; l <= att.numLayers; l++) {
    const m = headAggregate(att, l, mode, q);
    values.push(
      effective === 'relative' && generic ? relativeAttention(m, headAggregate(generic, Math.min(l, generic.numLayers), mode, 0)) : m,
    );
  }
  // raw and relative share one domain across layers so the slider shows real changes in strength;
  // layerMax stretches each layer on its own to show where it looks, whatever its strength.
  // Relative maps have a few huge ratios where the generic prompt looked nowhere: a high percentile
  // keeps them from washing out everything else.
  const globalMax = effective === 'relative' ? percentile(values, 0.99) : Math.max(1e-12, ...values.map(maxOf));
  const domain: [number, number][] = [];
  const display = values.map((v) => {
    const hi = effective === 'layerMax' ? Math.max(1e-12, maxOf(v)) : globalMax;
    domain.push([0, hi]);
    const d = new Float32Array(v.length);
    const inv = 1 / hi;
    for (let i = 0; i < v.length; i++) d[i] = v[i] * inv;
    return d;
  });
  return { numLayers: att.numLayers, gridH: att.gridH, gridW: att.gridW, values, display, domain, norm: effective };
}

/** Signed difference of two display maps (B - A) mapped to [0, 1] with 0.5 = no change. */
export function differenceMap(a: ArrayLike<number>, b: ArrayLike<number>): { display: Float32Array; maxAbs: number } {
  let maxAbs = 1e-12;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(b[i] - a[i]));
  const display = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) display[i] = 0.5 + (b[i] - a[i]) / (2 * maxAbs);
  return { display, maxAbs };
}
