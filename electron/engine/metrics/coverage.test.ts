import { describe, expect, it } from 'vitest';
import type { Box } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { areaCellWeights, areaShareOnGrid, coverageArea, coveragePaper, paperCellRange } from './coverage.js';
import { makeRng, randInt } from './testing/seeded-rng.js';

// ---------------------------------------------------------------------------------------------
// Independent reference: a literal port of calculate_bbox_attention_ratio from the paper's
// utils/eval_coverage.py, written with Python semantics spelled out (int() truncation, 2-D list,
// numpy-style slicing that clips out-of-range ends). It deliberately does NOT clip the box.
// ---------------------------------------------------------------------------------------------
function pyInt(v: number): number {
  return v < 0 ? Math.ceil(v) : Math.floor(v);
}
function pySliceBounds(start: number, stop: number, len: number): [number, number] {
  const norm = (i: number) => (i < 0 ? Math.max(0, len + i) : Math.min(i, len));
  return [norm(start), norm(stop)];
}
function pyReference(att: number[][], bbox: Box, imageSize: [number, number]): { ratio: number; coords: [number, number, number, number] } {
  const attH = att.length;
  const attW = att[0].length;
  const [imgW, imgH] = imageSize;
  const [x1, y1, x2, y2] = bbox;
  let x1Att = pyInt((x1 / imgW) * attW);
  let y1Att = pyInt((y1 / imgH) * attH);
  let x2Att = pyInt((x2 / imgW) * attW);
  let y2Att = pyInt((y2 / imgH) * attH);
  x1Att = Math.max(0, Math.min(x1Att, attW - 1));
  x2Att = Math.max(0, Math.min(x2Att, attW - 1));
  y1Att = Math.max(0, Math.min(y1Att, attH - 1));
  y2Att = Math.max(0, Math.min(y2Att, attH - 1));
  if (x2Att <= x1Att) x2Att = x1Att + 1;
  if (y2Att <= y1Att) y2Att = y1Att + 1;
  const [r0, r1] = pySliceBounds(y1Att, y2Att + 1, attH);
  const [c0, c1] = pySliceBounds(x1Att, x2Att + 1, attW);
  let bboxAttention = 0;
  for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) bboxAttention += att[r][c];
  let total = 0;
  for (const row of att) for (const v of row) total += v;
  return { ratio: total > 0 ? bboxAttention / total : 0, coords: [x1Att, y1Att, x2Att, y2Att] };
}

function to2d(values: Float64Array, h: number, w: number): number[][] {
  return Array.from({ length: h }, (_, r) => Array.from(values.subarray(r * w, (r + 1) * w)));
}

function relClose(a: number, b: number, tol = 1e-12): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

type BoxKind = 'random' | 'edge-right-bottom' | 'zero-width' | 'zero-height' | 'one-px' | 'partly-outside' | 'outside' | 'whole' | 'float';

function randomBox(rng: () => number, w: number, h: number, kind: BoxKind): Box {
  const rx = () => randInt(rng, 0, w);
  const ry = () => randInt(rng, 0, h);
  switch (kind) {
    case 'random': {
      const a = rx(),
        b = rx(),
        c = ry(),
        d = ry();
      return [Math.min(a, b), Math.min(c, d), Math.max(a, b), Math.max(c, d)];
    }
    case 'edge-right-bottom': {
      const x1 = randInt(rng, 0, w),
        y1 = randInt(rng, 0, h);
      return [x1, y1, w, h];
    }
    case 'zero-width': {
      const x = rx(),
        c = ry(),
        d = ry();
      return [x, Math.min(c, d), x, Math.max(c, d)];
    }
    case 'zero-height': {
      const y = ry(),
        a = rx(),
        b = rx();
      return [Math.min(a, b), y, Math.max(a, b), y];
    }
    case 'one-px': {
      const x = randInt(rng, 0, w - 1),
        y = randInt(rng, 0, h - 1);
      return [x, y, x + 1, y + 1];
    }
    case 'partly-outside': {
      const x1 = randInt(rng, -w, w - 1),
        y1 = randInt(rng, -h, h - 1);
      return [x1, y1, randInt(rng, Math.max(x1, 0) + 1, 2 * w), randInt(rng, Math.max(y1, 0) + 1, 2 * h)];
    }
    case 'outside': {
      const x1 = w + 1 + randInt(rng, 0, w);
      return [x1, randInt(rng, 0, h - 1), x1 + randInt(rng, 0, 50), h];
    }
    case 'whole':
      return [0, 0, w, h];
    case 'float': {
      const a = rng() * w,
        b = rng() * w,
        c = rng() * h,
        d = rng() * h;
      return [Math.min(a, b), Math.min(c, d), Math.max(a, b), Math.max(c, d)];
    }
  }
}

describe('coveragePaper vs a literal port of the paper code', () => {
  const kinds: BoxKind[] = ['random', 'edge-right-bottom', 'zero-width', 'zero-height', 'one-px', 'partly-outside', 'whole', 'float'];
  it('agrees on 2000 random maps, grids, non-square image sizes and boxes (indices bit-for-bit)', () => {
    const rng = makeRng(20260211);
    let compared = 0;
    for (let t = 0; t < 2000; t++) {
      const gridH = randInt(rng, 1, 40);
      const gridW = randInt(rng, 1, 40);
      // Image sizes that are not multiples of 28/32 and rarely square.
      const imageWidth = randInt(rng, 17, 3001);
      const imageHeight = randInt(rng, 17, 3001);
      const values = new Float64Array(gridH * gridW);
      // Peaky maps (a few sinks) as well as smooth ones, including exact zeros.
      for (let i = 0; i < values.length; i++) values[i] = rng() < 0.1 ? 0 : rng() ** (1 + 6 * rng());
      const kind = kinds[t % kinds.length];
      const box = randomBox(rng, imageWidth, imageHeight, kind);
      const geometry = { imageWidth, imageHeight, gridH, gridW };
      const ref = pyReference(to2d(values, gridH, gridW), box, [imageWidth, imageHeight]);
      const range = paperCellRange(box, geometry);
      expect([range.x1, range.y1, range.x2, range.y2]).toEqual(ref.coords);
      const got = coveragePaper(values, geometry, box);
      if (!relClose(got, ref.ratio))
        throw new Error(`mismatch for box ${box} on ${gridH}x${gridW} ${imageWidth}x${imageHeight}: ${got} vs ${ref.ratio}`);
      compared++;
    }
    expect(compared).toBe(2000);
  });

  it('rejects boxes entirely outside the image, where the paper would score an edge cell', () => {
    const rng = makeRng(7);
    for (let t = 0; t < 50; t++) {
      const w = randInt(rng, 20, 500),
        h = randInt(rng, 20, 500);
      const values = new Float64Array(12).fill(1);
      const box = randomBox(rng, w, h, 'outside');
      expect(() => coveragePaper(values, { imageWidth: w, imageHeight: h, gridH: 3, gridW: 4 }, box)).toThrow(BadRequestError);
    }
    const g = { imageWidth: 100, imageHeight: 100, gridH: 2, gridW: 2 };
    const v = [1, 1, 1, 1];
    expect(() => coveragePaper(v, g, [-20, 10, -5, 50])).toThrow(/entirely outside/);
    expect(() => coveragePaper(v, g, [10, 10, 5, 50])).toThrow(/inverted/);
    expect(() => coveragePaper(v, g, [10, Number.NaN, 20, 50])).toThrow(/finite/);
  });

  it('hand-computed cases on a 4x4 map with values 1..16 (total 136)', () => {
    const values = Array.from({ length: 16 }, (_, i) => i + 1);
    const g = { imageWidth: 100, imageHeight: 100, gridH: 4, gridW: 4 };
    // x: int(30/100*4)=1, int(60/100*4)=2 -> cells 1..2 inclusive; same for y: 6+7+10+11 = 34
    expect(coveragePaper(values, g, [30, 30, 60, 60])).toBeCloseTo(34 / 136, 15);
    // Right/bottom edge: int(4) clamps to 3, widened to 4, slice 3:5 stops at the edge: only cell 16.
    expect(coveragePaper(values, g, [90, 90, 100, 100])).toBeCloseTo(16 / 136, 15);
    expect(paperCellRange([90, 90, 100, 100], g)).toEqual({ x1: 3, y1: 3, x2: 4, y2: 4, colEnd: 4, rowEnd: 4 });
    // A 1-px box inside cell (0,0) is widened to cells 0..1 on both axes: 1+2+5+6 = 14.
    expect(coveragePaper(values, g, [5, 5, 6, 6])).toBeCloseTo(14 / 136, 15);
    // Box ending exactly on a cell boundary (x2 = 50 -> cell 2) takes the whole next column too.
    expect(coveragePaper(values, g, [0, 0, 50, 25])).toBeCloseTo((1 + 2 + 3 + 5 + 6 + 7) / 136, 15);
    // Whole image = 1; all-zero map = 0 like the paper.
    expect(coveragePaper(values, g, [0, 0, 100, 100])).toBe(1);
    expect(coveragePaper(new Array(16).fill(0), g, [0, 0, 50, 50])).toBe(0);
  });

  it('uses double-precision x / w * grid in that order (truncation at exact boundaries)', () => {
    // 0.7 / 7 * 10 = 0.9999999999999999 in doubles -> int() gives 0, while 0.7 * 10 / 7 gives 1.
    const g = { imageWidth: 7, imageHeight: 7, gridH: 10, gridW: 10 };
    expect(paperCellRange([0.7, 0.7, 7, 7], g).x1).toBe(0);
  });
});

describe('coverageArea', () => {
  const geom = (gridH: number, gridW: number, imageWidth: number, imageHeight: number, tokenPx = 28) => ({
    imageWidth,
    imageHeight,
    gridH,
    gridW,
    tokenPx,
    resizedWidth: gridW * tokenPx,
    resizedHeight: gridH * tokenPx,
  });

  it('hand-computed partial cells', () => {
    const values = Array.from({ length: 16 }, (_, i) => i + 1);
    const g = geom(4, 4, 100, 100, 32);
    // Box 30..60 maps to 1.2..2.4 cells: weights 0.8 and 0.4 on each axis.
    const expected = 0.64 * 6 + 0.32 * 7 + 0.32 * 10 + 0.16 * 11;
    expect(coverageArea(values, g, [30, 30, 60, 60])).toBeCloseTo(expected / 136, 14);
  });

  it('a box covering exactly whole cells equals the sum of those cells', () => {
    const rng = makeRng(99);
    for (let t = 0; t < 300; t++) {
      const gridH = randInt(rng, 1, 30),
        gridW = randInt(rng, 1, 30);
      const g = geom(gridH, gridW, randInt(rng, 50, 2500), randInt(rng, 50, 2500));
      const values = Array.from({ length: gridH * gridW }, () => rng());
      const c1 = randInt(rng, 0, gridW - 1),
        c2 = randInt(rng, c1 + 1, gridW);
      const r1 = randInt(rng, 0, gridH - 1),
        r2 = randInt(rng, r1 + 1, gridH);
      const box: Box = [
        (c1 * g.imageWidth) / gridW,
        (r1 * g.imageHeight) / gridH,
        (c2 * g.imageWidth) / gridW,
        (r2 * g.imageHeight) / gridH,
      ];
      let inside = 0,
        total = 0;
      values.forEach((v, i) => {
        const r = Math.floor(i / gridW),
          c = i % gridW;
        total += v;
        if (r >= r1 && r < r2 && c >= c1 && c < c2) inside += v;
      });
      expect(coverageArea(values, g, box)).toBeCloseTo(inside / total, 10);
    }
  });

  it('a uniform map gives the box area share', () => {
    const rng = makeRng(5);
    for (let t = 0; t < 300; t++) {
      const gridH = randInt(rng, 1, 30),
        gridW = randInt(rng, 1, 30);
      const W = randInt(rng, 30, 2000),
        H = randInt(rng, 30, 2000);
      const g = geom(gridH, gridW, W, H, 32);
      const box = randomBox(rng, W, H, t % 2 ? 'float' : 'random');
      const share = ((box[2] - box[0]) * (box[3] - box[1])) / (W * H);
      expect(coverageArea(new Array(gridH * gridW).fill(0.37), g, box)).toBeCloseTo(share, 10);
      expect(areaShareOnGrid(g, box)).toBeCloseTo(share, 10);
    }
  });

  it('matches pixel counting when the resized image equals the original', () => {
    const rng = makeRng(11);
    for (let t = 0; t < 40; t++) {
      const tokenPx = randInt(rng, 2, 6);
      const gridH = randInt(rng, 1, 8),
        gridW = randInt(rng, 1, 8);
      const W = gridW * tokenPx,
        H = gridH * tokenPx;
      const g = geom(gridH, gridW, W, H, tokenPx);
      const box = randomBox(rng, W, H, 'random');
      const counts = new Float64Array(gridH * gridW);
      for (let y = box[1]; y < box[3]; y++)
        for (let x = box[0]; x < box[2]; x++) counts[Math.floor(y / tokenPx) * gridW + Math.floor(x / tokenPx)] += 1;
      const weights = areaCellWeights(g, box);
      for (let i = 0; i < counts.length; i++) expect(weights[i]).toBeCloseTo(counts[i] / (tokenPx * tokenPx), 12);
    }
  });

  it('scales the box into resized geometry (non-proportional smart-resize)', () => {
    // 100x50 image resized to 64x64 (2x2 cells of 32): the box's left half of the image is the left column.
    const g = { imageWidth: 100, imageHeight: 50, resizedWidth: 64, resizedHeight: 64, gridH: 2, gridW: 2, tokenPx: 32 };
    expect(coverageArea([1, 2, 3, 4], g, [0, 0, 50, 50])).toBeCloseTo(4 / 10, 14);
    expect(coverageArea([1, 2, 3, 4], g, [0, 0, 50, 0])).toBe(0); // zero-area box
  });

  it('rejects a value array that does not match the grid', () => {
    expect(() => coverageArea([1, 2, 3], geom(2, 2, 10, 10), [0, 0, 5, 5])).toThrow(/geometry says 2x2/);
  });
});
