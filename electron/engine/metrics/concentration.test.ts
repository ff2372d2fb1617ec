import { describe, expect, it } from 'vitest';
import { attentionRatio, entropy, normalize, pointingGame } from './concentration.js';

const g = { imageWidth: 100, imageHeight: 100, resizedWidth: 128, resizedHeight: 128, gridH: 4, gridW: 4, tokenPx: 32 };

describe('attention ratio', () => {
  it('is 1 for a uniform map and scales with concentration', () => {
    expect(attentionRatio(new Array(16).fill(2), g, [10, 20, 70, 55])).toBeCloseTo(1, 12);
    const spike = new Array(16).fill(0);
    spike[5] = 1; // cell (1,1) = pixels 25..50
    // Box = exactly that cell: coverage 1, share 1/16 -> 16.
    expect(attentionRatio(spike, g, [25, 25, 50, 50])).toBeCloseTo(16, 12);
  });
  it('is 0 for a zero-area box', () => {
    expect(attentionRatio(new Array(16).fill(1), g, [10, 10, 10, 50])).toBe(0);
  });
});

describe('pointing game', () => {
  const spike = new Array(16).fill(0.01);
  spike[6] = 1; // row 1, col 2: centre (62.5, 37.5)
  it('tests the arg-max cell centre in original pixels, edges inclusive', () => {
    expect(pointingGame(spike, g, [60, 30, 70, 40])).toBe(true);
    expect(pointingGame(spike, g, [62.5, 37.5, 90, 90])).toBe(true);
    expect(pointingGame(spike, g, [63, 30, 70, 40])).toBe(false);
    expect(pointingGame(spike, g, [0, 0, 50, 50])).toBe(false);
  });
  it('breaks ties by the first cell in row-major order', () => {
    const tie = new Array(16).fill(0);
    tie[3] = 1;
    tie[12] = 1;
    expect(pointingGame(tie, g, [75, 0, 100, 25])).toBe(true);
    expect(pointingGame(tie, g, [0, 75, 25, 100])).toBe(false);
  });
  it('scores false on a map with no finite maximum', () => {
    expect(pointingGame(new Array(16).fill(Number.NaN), g, [0, 0, 100, 100])).toBe(false);
  });
});

describe('entropy', () => {
  it('hand-computed values', () => {
    const u = entropy([1, 1, 1, 1]);
    expect(u.nats).toBeCloseTo(Math.log(4), 14);
    expect(u.normalized).toBeCloseTo(1, 14);
    expect(entropy([0, 5, 0, 0])).toEqual({ nats: 0, normalized: 0 });
    // p = (1/2, 1/4, 1/4): H = 1.5 ln 2
    const h = entropy([2, 1, 1]);
    expect(h.nats).toBeCloseTo(1.5 * Math.LN2, 14);
    expect(h.normalized).toBeCloseTo((1.5 * Math.LN2) / Math.log(3), 14);
  });
  it('is scale-invariant and safe on empty or one-cell maps', () => {
    expect(entropy([0.2, 0.1, 0.1]).nats).toBeCloseTo(entropy([2, 1, 1]).nats, 14);
    expect(entropy([0, 0, 0])).toEqual({ nats: 0, normalized: 0 });
    expect(entropy([3])).toEqual({ nats: 0, normalized: 0 });
  });
  it('normalize keeps zero maps zero', () => {
    expect(Array.from(normalize([1, 3]))).toEqual([0.25, 0.75]);
    expect(Array.from(normalize([0, 0]))).toEqual([0, 0]);
  });
});
