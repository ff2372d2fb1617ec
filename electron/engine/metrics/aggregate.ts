// Head and layer aggregation over AttentionMaps (layout in contract/types.ts:
// data[((q * numLayers + layer) * numHeads + head) * cells + cell]). Layers are 1-BASED here, like
// everywhere the user sees them ("layer 24" = index 23), so no caller has to remember to subtract one.
import type { AttentionMaps } from '../../contract/types.js';

/** 'mean' over heads (the paper's choice), 'max' over heads, or one head by 0-based index. */
export type HeadMode = 'mean' | 'max' | { head: number };

function checkIndices(maps: AttentionMaps, layer: number, query: number): void {
  if (!Number.isInteger(layer) || layer < 1 || layer > maps.numLayers) {
    throw new RangeError(`Layer ${layer} is out of range: this model has layers 1..${maps.numLayers} (1-based).`);
  }
  if (!Number.isInteger(query) || query < 0 || query >= maps.numQueries) {
    throw new RangeError(`Query ${query} is out of range: 0..${maps.numQueries - 1}.`);
  }
  const cells = maps.gridH * maps.gridW;
  const expected = maps.numQueries * maps.numLayers * maps.numHeads * cells;
  if (maps.data.length !== expected) {
    throw new RangeError(`AttentionMaps data has ${maps.data.length} values; its shape needs ${expected}.`);
  }
}

/** Head-aggregated map of one layer (1-based) for one query, as doubles (row-major grid). */
export function headAggregate(maps: AttentionMaps, layer: number, head: HeadMode = 'mean', query = 0): Float64Array {
  checkIndices(maps, layer, query);
  const cells = maps.gridH * maps.gridW;
  const base = (query * maps.numLayers + (layer - 1)) * maps.numHeads * cells;
  const out = new Float64Array(cells);
  if (typeof head === 'object') {
    if (!Number.isInteger(head.head) || head.head < 0 || head.head >= maps.numHeads) {
      throw new RangeError(`Head ${head.head} is out of range: 0..${maps.numHeads - 1}.`);
    }
    const off = base + head.head * cells;
    for (let i = 0; i < cells; i++) out[i] = maps.data[off + i];
    return out;
  }
  if (head === 'max') {
    out.fill(-Infinity);
    for (let h = 0; h < maps.numHeads; h++) {
      const off = base + h * cells;
      for (let i = 0; i < cells; i++) if (maps.data[off + i] > out[i]) out[i] = maps.data[off + i];
    }
    return out;
  }
  for (let h = 0; h < maps.numHeads; h++) {
    const off = base + h * cells;
    for (let i = 0; i < cells; i++) out[i] += maps.data[off + i];
  }
  for (let i = 0; i < cells; i++) out[i] /= maps.numHeads;
  return out;
}

/** Mean over layers from..to (1-based, inclusive) of the head-aggregated maps. */
export function layerRangeAggregate(maps: AttentionMaps, from: number, to: number, head: HeadMode = 'mean', query = 0): Float64Array {
  if (to < from) throw new RangeError(`Layer range ${from}..${to} is empty: the end must not come before the start.`);
  const cells = maps.gridH * maps.gridW;
  const out = new Float64Array(cells);
  for (let layer = from; layer <= to; layer++) {
    const m = headAggregate(maps, layer, head, query);
    for (let i = 0; i < cells; i++) out[i] += m[i];
  }
  const n = to - from + 1;
  for (let i = 0; i < cells; i++) out[i] /= n;
  return out;
}

/** Sum of one layer's head-mean map: the attention mass that went to visual tokens at all. */
export function visualMass(maps: AttentionMaps, layer: number, query = 0): number {
  const m = headAggregate(maps, layer, 'mean', query);
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i];
  return s;
}
