import { describe, expect, it } from 'vitest';
import type { AttentionMaps, GridGeometry } from '../../contract/types.js';
import { overlapWeights, regionalInFull, resampleToGlobal } from './regional-map.js';

const global: GridGeometry = { imageWidth: 400, imageHeight: 300, resizedWidth: 392, resizedHeight: 308, gridH: 6, gridW: 8, tokenPx: 28 };

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

describe('overlapWeights', () => {
  it('each source interval is fully distributed when it lies inside the target range', () => {
    const w = overlapWeights(8, 400, 3, 37, 211);
    for (let r = 0; r < 3; r++) {
      let s = 0;
      for (let g = 0; g < 8; g++) s += w[g * 3 + r];
      expect(s).toBeCloseTo(1, 12);
    }
  });
});

describe('resampleToGlobal', () => {
  it('copies values when the crop is exactly one global cell per regional cell', () => {
    // Crop = global cells (row 1..2, col 2..4): 50 px wide cells, 50 px tall.
    const values = [1, 2, 3, 4, 5, 6];
    const out = resampleToGlobal(values, 2, 3, [100, 50, 250, 150], global);
    expect(out[1 * 8 + 2]).toBeCloseTo(1);
    expect(out[1 * 8 + 4]).toBeCloseTo(3);
    expect(out[2 * 8 + 3]).toBeCloseTo(5);
    expect(sum(out)).toBeCloseTo(21);
    expect(out[0]).toBe(0);
  });

  it('preserves mass and leaves cells outside the crop at zero for an unaligned crop', () => {
    const values = Array.from({ length: 5 * 7 }, (_, i) => (i % 3) + 0.5);
    const out = resampleToGlobal(values, 5, 7, [61.3, 33.7, 187.9, 141.2], global);
    expect(sum(out)).toBeCloseTo(sum(values), 4);
    // Column 4 starts at x = 200 > 187.9 and row 3 starts at y = 150 > 141.2.
    for (let r = 0; r < 6; r++) expect(out[r * 8 + 4]).toBe(0);
    for (let c = 0; c < 8; c++) expect(out[3 * 8 + c]).toBe(0);
  });

  it('spreads one regional cell over the global cells it straddles, by area', () => {
    // One cell covering x 25..75, y 0..50: half in global col 0, half in col 1.
    const out = resampleToGlobal([1], 1, 1, [25, 0, 75, 50], global);
    expect(out[0]).toBeCloseTo(0.5);
    expect(out[1]).toBeCloseTo(0.5);
  });
});

describe('regionalInFull', () => {
  it('head-means each layer at query 0 before mapping', () => {
    const maps: AttentionMaps = {
      numQueries: 2,
      numLayers: 2,
      numHeads: 2,
      gridH: 1,
      gridW: 1,
      data: Float32Array.from([0.2, 0.4, 0.6, 0.8, 9, 9, 9, 9]),
    };
    const r = regionalInFull(maps, [0, 0, 50, 50], global);
    expect(r.numLayers).toBe(2);
    expect(r.data.length).toBe(2 * 48);
    expect(r.data[0]).toBeCloseTo(0.3);
    expect(r.data[48]).toBeCloseTo(0.7);
  });
});
