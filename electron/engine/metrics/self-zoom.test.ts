import { describe, expect, it } from 'vitest';
import { contextCorrected, activationMap, rankGaussianFilter } from './activation.js';
import { boxCells, cellCount, cellRects, deletionArea, randomCells } from './deletion.js';
import { averageRanks, spearman } from './rank-correlation.js';
import { boxIoU, centreInside, gapRecovered, selfZoomCrop } from './self-zoom.js';

// 4x4 grid over a 400x200 image: cells are 100x50 px.
const grid = { gridH: 4, gridW: 4 };
const image = { imageWidth: 400, imageHeight: 200 };
const hot = [0, 0, 0, 0, 0, 0, 5, 5, 0, 0, 5, 5, 0, 0, 0, 0];

describe('self-zoom crop', () => {
  it('fixed: half the grid around the hottest 2x2 window, in pixels', () => {
    const crop = selfZoomCrop(hot, grid, image, { mode: 'fixed', fraction: 0.5 });
    expect(crop.window).toEqual({ row: 1, col: 2, rows: 2, cols: 2 });
    expect(crop.box).toEqual([200, 50, 400, 150]);
    expect(crop.windowMass).toBe(1);
  });

  it('adaptive: ViCrop picks the sharpest window and centres a square of its side, kept inside the image', () => {
    const crop = selfZoomCrop(hot, grid, image, { mode: 'adaptive', baseSide: 100 });
    // side 100 px gives 1x2-cell windows at ratio 1; the square is moved inside the image's right edge.
    expect(crop.box[2]).toBeLessThanOrEqual(400);
    expect(crop.box[2] - crop.box[0]).toBe(crop.box[3] - crop.box[1]);
    expect(centreInside([250, 60, 350, 140], crop.box)).toBe(true);
  });

  it('adaptive: a base side as large as the image is the whole image', () => {
    expect(selfZoomCrop(hot, grid, image, { mode: 'adaptive', baseSide: 1000 }).box).toEqual([0, 0, 400, 200]);
  });

  it('refuses bad rules and maps that do not fit the grid', () => {
    expect(() => selfZoomCrop(hot, grid, image, { mode: 'fixed', fraction: 0 })).toThrow(/fraction/);
    expect(() => selfZoomCrop(hot.slice(1), grid, image, { mode: 'fixed', fraction: 0.5 })).toThrow(/15 values/);
  });

  it('IoU, centre and the recovered share of the gap', () => {
    expect(boxIoU([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(boxIoU([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(centreInside([4, 4, 6, 6], [0, 0, 10, 10])).toBe(true);
    expect(centreInside([8, 8, 30, 30], [0, 0, 10, 10])).toBe(false);
    expect(gapRecovered(0.4, 0.5, 0.6)).toBeCloseTo(0.5, 12);
    expect(gapRecovered(0.5, 0.6, 0.5)).toBeNaN();
  });
});

describe('deletion', () => {
  it('counts, draws and maps cells to the pixels they cover', () => {
    expect(cellCount(0.05, 16)).toBe(1);
    expect(cellCount(0.5, 16)).toBe(8);
    const r = randomCells(16, 5, 7);
    expect(new Set(r).size).toBe(5);
    expect(randomCells(16, 5, 7)).toEqual(r);
    expect(cellRects([6], grid, image)).toEqual([[200, 50, 300, 100]]);
    expect(boxCells([210, 60, 390, 140], grid, image)).toEqual([6, 7, 10, 11]);
  });

  it('the area under a deletion curve is its mean probability over the removed range', () => {
    expect(
      deletionArea([
        { fraction: 0, prob: 1 },
        { fraction: 0.2, prob: 0 },
      ]),
    ).toBeCloseTo(0.5, 12);
    expect(() =>
      deletionArea([
        { fraction: 0.1, prob: 1 },
        { fraction: 0.2, prob: 0 },
      ]),
    ).toThrow(/fraction 0/);
  });
});

describe('rank correlation', () => {
  it('averages tied ranks and is 1 / -1 on monotone maps', () => {
    expect(Array.from(averageRanks([3, 1, 3, 2]))).toEqual([3.5, 1, 3.5, 2]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

describe('activation maps', () => {
  it('scores each position against the unembedding row, relu', () => {
    expect(Array.from(activationMap([1, 0, 0, 1, -1, -1], 2, [2, 3]))).toEqual([2, 3, 0]);
  });

  it('removes the context interference scaled by least squares', () => {
    const m = [2, 2, 1, 0];
    const ctx = [1, 1, 0, 0];
    const { map, alpha } = contextCorrected(m, [{ map: ctx, weight: 1 }]);
    expect(alpha).toBeCloseTo(2, 12);
    expect(Array.from(map)).toEqual([0, 0, 1, 0]);
    expect(Array.from(contextCorrected(m, [{ map: ctx, weight: 0 }]).map)).toEqual(m);
  });

  it('the rank Gaussian filter keeps a flat map and damps a lone hot cell', () => {
    expect(Array.from(rankGaussianFilter(new Array(9).fill(2), 3, 3))).toEqual(new Array(9).fill(2));
    const lone = new Array(25).fill(1);
    lone[12] = 50;
    const out = rankGaussianFilter(lone, 5, 5);
    expect(out[12]).toBeLessThan(50);
  });
});
