import { describe, expect, it } from 'vitest';
import type { AttentionMaps, GridGeometry } from '../../contract/types.js';
import { coverageArea, coveragePaper } from './coverage.js';
import { defaultLayer, layerMetrics, metricsByLayer } from './layer.js';

const geometry: GridGeometry = { imageWidth: 120, imageHeight: 60, resizedWidth: 112, resizedHeight: 56, gridH: 2, gridW: 4, tokenPx: 28 };

function maps(numLayers: number, numHeads: number, fill: (l: number, h: number, c: number) => number): AttentionMaps {
  const cells = 8;
  const data = new Float32Array(numLayers * numHeads * cells);
  for (let l = 0; l < numLayers; l++)
    for (let h = 0; h < numHeads; h++) for (let c = 0; c < cells; c++) data[(l * numHeads + h) * cells + c] = fill(l, h, c);
  return { numQueries: 1, numLayers, numHeads, gridH: 2, gridW: 4, data };
}

describe('defaultLayer', () => {
  it('is 24 for models with at least 24 layers, 2/3 depth below', () => {
    expect(defaultLayer(36)).toBe(24);
    expect(defaultLayer(28)).toBe(24);
    expect(defaultLayer(24)).toBe(24);
    expect(defaultLayer(12)).toBe(8);
    expect(defaultLayer(4)).toBe(3);
    expect(defaultLayer(1)).toBe(1);
    expect(() => defaultLayer(0)).toThrow(RangeError);
  });
});

describe('layerMetrics', () => {
  // Layer 1: all attention on cell 1 (row 0, col 1 = x 30..60); layer 2: uniform.
  const attention = maps(2, 2, (l, h, c) => (l === 0 ? (c === 1 ? 0.5 + 0.1 * h : 0) : 0.05));
  const box: [number, number, number, number] = [30, 0, 60, 30];

  it('bundles the head-mean metrics of one layer', () => {
    const m1 = layerMetrics({ attention, geometry, box }, 1);
    expect(m1.coverageArea).toBeCloseTo(1, 12);
    expect(m1.pointing).toBe(true);
    expect(m1.entropy).toBe(0);
    expect(m1.ratio).toBeCloseTo(8, 12);
    const m2 = layerMetrics({ attention, geometry, box }, 2);
    const uniform = new Array(8).fill(1);
    expect(m2.coveragePaper).toBeCloseTo(coveragePaper(uniform, geometry, box), 12);
    expect(m2.coverageArea).toBeCloseTo(coverageArea(uniform, geometry, box), 12);
    expect(m2.ratio).toBeCloseTo(1, 12);
    expect(m2.entropyNormalized).toBeCloseTo(1, 12);
    expect(m2.relCoveragePaper).toBeUndefined();
  });

  it('adds relative coverage when the generic map is given, and covers all layers by default', () => {
    const generic = maps(2, 2, () => 0.01);
    const all = metricsByLayer({ attention, geometry, box, genericAttention: generic });
    expect(Object.keys(all)).toEqual(['1', '2']);
    expect(all['2'].relCoveragePaper).toBeCloseTo(all['2'].coveragePaper, 6);
    expect(Object.keys(metricsByLayer({ attention, geometry, box }, [2]))).toEqual(['2']);
  });

  it('refuses a grid that does not match the geometry', () => {
    expect(() => layerMetrics({ attention, geometry: { ...geometry, gridW: 3 }, box }, 1)).toThrow(/does not match/);
  });
});
