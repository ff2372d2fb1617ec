// Display maps of one analysis under a selection. Maps are computed on demand and kept per result
// (a WeakMap), so the layer slider, the head thumbnails and the model view share them and scrubbing a
// layer only aggregates that layer's heads (no precomputation of every layer before the first paint).
import type { AttentionMaps } from '../../../electron/contract/types.js';
// Aggregation and relative attention come from the engine's metrics module: one implementation.
import { headAggregate, layerRangeAggregate, relativeAttention, type HeadMode } from '../../../electron/engine/metrics/index.js';
import type { HeadSel, Norm, ResolvedSelection } from '../selection/selection.js';
import { maxOf, robustHi, toDisplay } from './scale.js';

/** The metrics module's head mode for a selection. */
function headMode(head: HeadSel): HeadMode {
  return typeof head === 'number' ? { head } : head;
}

export interface DisplayMap {
  /** The selected map (one layer, or the mean of a layer range) in `units`. */
  values: Float64Array;
  /** values / hi, for painting. */
  display: Float32Array;
  /** What 0 and 1 of `display` are, in `units`. */
  domain: [number, number];
  units: 'attention weight' | 'ratio to the generic prompt' | 'activation (relu of the logit lens)';
  norm: Norm;
}

const MAX_ENTRIES = 400;

/** Every map one analysis has been asked for, keyed by what selects it. */
export class MapCache {
  private readonly entries = new Map<string, Float64Array>();
  private readonly shared = new Map<string, number>();

  constructor(
    readonly attention: AttentionMaps,
    readonly generic?: AttentionMaps,
  ) {}

  private remember(key: string, make: () => Float64Array): Float64Array {
    const hit = this.entries.get(key);
    if (hit) return hit;
    const v = make();
    this.entries.set(key, v);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    return v;
  }

  /** Head-aggregated attention of layers from..to (1-based, mean over the range) for one query. */
  raw(from: number, to: number, head: HeadSel, query: number): Float64Array {
    return this.remember(`raw|${from}|${to}|${String(head)}|${query}`, () =>
      from === to
        ? headAggregate(this.attention, from, headMode(head), query)
        : layerRangeAggregate(this.attention, from, to, headMode(head), query),
    );
  }

  /** The generic prompt's map aggregated the same way (its single query). */
  genericRaw(from: number, to: number, head: HeadSel): Float64Array | undefined {
    const g = this.generic;
    if (!g) return undefined;
    const f = Math.min(from, g.numLayers);
    const t = Math.min(to, g.numLayers);
    return this.remember(`generic|${f}|${t}|${String(head)}`, () =>
      f === t ? headAggregate(g, f, headMode(head), 0) : layerRangeAggregate(g, f, t, headMode(head), 0),
    );
  }

  /** The upper end of the scale shared by every layer: 99th percentile of all layers' cells. */
  sharedHi(head: HeadSel, query: number): number {
    const key = `${String(head)}|${query}`;
    const hit = this.shared.get(key);
    if (hit !== undefined) return hit;
    const n = this.attention.numLayers;
    const cells = this.attention.gridH * this.attention.gridW;
    const all = new Float64Array(n * cells);
    for (let l = 1; l <= n; l++) all.set(this.raw(l, l, head, query), (l - 1) * cells);
    const hi = robustHi(all);
    this.shared.set(key, hi);
    return hi;
  }

  /** The map a selection shows, scaled for painting. */
  map(sel: Pick<ResolvedSelection, 'from' | 'to' | 'head' | 'query' | 'norm'>): DisplayMap {
    const raw = this.raw(sel.from, sel.to, sel.head, sel.query);
    if (sel.norm === 'relative') {
      const g = this.genericRaw(sel.from, sel.to, sel.head);
      if (g && sel.query === 0) {
        const values = this.remember(`rel|${sel.from}|${sel.to}|${String(sel.head)}`, () => relativeAttention(raw, g));
        const hi = robustHi(values);
        return { values, display: toDisplay(values, hi), domain: [0, hi], units: 'ratio to the generic prompt', norm: 'relative' };
      }
    }
    const norm: Norm = sel.norm === 'relative' ? 'layerP99' : sel.norm;
    const hi = norm === 'layerMax' ? Math.max(maxOf(raw), 1e-12) : norm === 'shared' ? this.sharedHi(sel.head, sel.query) : robustHi(raw);
    return { values: raw, display: toDisplay(raw, hi), domain: [0, hi], units: 'attention weight', norm };
  }
}

const activationMaps = new WeakMap<readonly number[], Float64Array>();

/**
 * An answer token's activation map scaled for painting, under the same colour rules as attention: its
 * 99th percentile (default) or its maximum. There is one map per token (the final layer's logit lens), so
 * the layer-wide rules ("one scale, all layers", relative) fall back to the 99th percentile.
 */
export function activationDisplay(map: readonly number[], norm: Norm): DisplayMap {
  let values = activationMaps.get(map);
  if (!values) activationMaps.set(map, (values = Float64Array.from(map)));
  const use: Norm = norm === 'layerMax' ? 'layerMax' : 'layerP99';
  const hi = use === 'layerMax' ? Math.max(maxOf(values), 1e-12) : robustHi(values);
  return { values, display: toDisplay(values, hi), domain: [0, hi], units: 'activation (relu of the logit lens)', norm: use };
}

const caches = new WeakMap<AttentionMaps, MapCache>();

/** The cache of one analysis's attention (shared by every component showing it). */
export function mapCache(attention: AttentionMaps, generic?: AttentionMaps): MapCache {
  let c = caches.get(attention);
  if (!c || c.generic !== generic) {
    c = new MapCache(attention, generic);
    caches.set(attention, c);
  }
  return c;
}

/** Signed difference of two maps (B - A) mapped to [0, 1] with 0.5 = no change. */
export function differenceMap(a: ArrayLike<number>, b: ArrayLike<number>): { display: Float32Array; maxAbs: number } {
  let maxAbs = 1e-12;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(b[i] - a[i]));
  const display = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) display[i] = 0.5 + (b[i] - a[i]) / (2 * maxAbs);
  return { display, maxAbs };
}
