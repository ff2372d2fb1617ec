import { describe, expect, it } from 'vitest';
import type { AttentionMaps } from '../../../electron/contract/types.js';
import { cellAt, cellRect, rankOf, shareOf } from './cells.js';
import { differenceMap, mapCache } from './maps.js';
import { clippedCount, formatValue, quantile, robustHi } from './scale.js';

function maps(
  numLayers: number,
  numHeads: number,
  gridH: number,
  gridW: number,
  f: (l: number, h: number, c: number) => number,
): AttentionMaps {
  const cells = gridH * gridW;
  const data = new Float32Array(numLayers * numHeads * cells);
  for (let l = 0; l < numLayers; l++)
    for (let h = 0; h < numHeads; h++) for (let c = 0; c < cells; c++) data[(l * numHeads + h) * cells + c] = f(l, h, c);
  return { numQueries: 1, numLayers, numHeads, gridH, gridW, data };
}

describe('scales', () => {
  it('quantile is the nearest rank of the finite values', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([NaN, 5], 0.5)).toBe(5);
    expect(quantile([], 0.5)).toBe(0);
  });
  it('a robust upper end ignores one sink cell, and falls back to the max for a sparse map', () => {
    const xs = new Array<number>(200).fill(0.001);
    xs[0] = 0.5; // attention sink
    expect(robustHi(xs)).toBeCloseTo(0.001, 9);
    expect(clippedCount(xs, robustHi(xs))).toBe(1);
    expect(robustHi([0, 0, 0, 0.2])).toBe(0.2);
  });
  it('formats colour-bar ticks', () => {
    expect(formatValue(0)).toBe('0');
    expect(formatValue(0.00138)).toBe('0.00138');
    expect(formatValue(0.0000123)).toBe('1.23e-5');
  });
});

describe('MapCache', () => {
  // Layer 1: a sink in cell 0; layer 2: the mass on cell 3; two heads that differ.
  const att = maps(2, 2, 2, 2, (l, h, c) => (l === 0 ? (c === 0 ? 0.9 : 0.01) : c === 3 ? 0.2 + h * 0.1 : 0.05));
  it('scales each layer on its own 99th percentile by default, so a sink does not black out a layer', () => {
    const c = mapCache(att);
    const m = c.map({ from: 2, to: 2, head: 'mean', query: 0, norm: 'layerP99' });
    expect(Array.from(m.values)).toEqual([0.05, 0.05, 0.05, 0.25].map((x) => expect.closeTo(x, 6)));
    expect(m.domain[1]).toBeCloseTo(0.25, 6);
    expect(m.display[3]).toBeCloseTo(1, 6);
  });
  it('a shared scale compares layers; a layer range is the mean of its layers; a head is that head', () => {
    const c = mapCache(att);
    const shared = c.map({ from: 2, to: 2, head: 'mean', query: 0, norm: 'shared' });
    expect(shared.domain[1]).toBeCloseTo(0.9, 6);
    const range = c.map({ from: 1, to: 2, head: 'mean', query: 0, norm: 'layerMax' });
    expect(range.values[0]).toBeCloseTo((0.9 + 0.05) / 2, 6);
    expect(c.map({ from: 2, to: 2, head: 1, query: 0, norm: 'layerMax' }).values[3]).toBeCloseTo(0.3, 6);
    expect(mapCache(att)).toBe(c);
  });
  it('falls back from relative to the percentile scale without generic maps', () => {
    expect(mapCache(att).map({ from: 1, to: 1, head: 'mean', query: 0, norm: 'relative' }).norm).toBe('layerP99');
  });
  it('difference maps put no change at 0.5', () => {
    const d = differenceMap([0, 1], [1, 1]);
    expect(Array.from(d.display)).toEqual([1, 0.5]);
  });
});

describe('cells', () => {
  it('finds the cell under a pixel and its pixel rectangle', () => {
    expect(cellAt(0, 0, 640, 480, 16, 12)).toEqual({ row: 0, col: 0, index: 0 });
    expect(cellAt(639.9, 479.9, 640, 480, 16, 12)).toEqual({ row: 11, col: 15, index: 191 });
    expect(cellAt(640, 10, 640, 480, 16, 12)).toBeNull();
    expect(cellRect(1, 2, 640, 480, 16, 12)).toEqual([80, 40, 120, 80]);
  });
  it('ranks and shares', () => {
    expect(rankOf([0.1, 0.5, 0.5, 0.2], 3)).toBe(3);
    expect(rankOf([0.1, 0.5, 0.5, 0.2], 1)).toBe(1);
    expect(shareOf([1, 3], 1)).toBe(0.75);
  });
});
