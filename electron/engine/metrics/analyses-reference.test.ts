// The map analyses against an independent numpy implementation (native-models/loupe_reference), on
// seeded synthetic maps: peaked, flat, tied, all-zero, sink-dominated.
import { describe, expect, it } from 'vitest';
import type { Box } from '../../contract/types.js';
import { runPythonModule } from '../../../test/support/python-venv.js';
import { contextCorrected, rankGaussianFilter } from './activation.js';
import { deletionArea, topCells } from './deletion.js';
import { spearman } from './rank-correlation.js';
import { boxIoU, selfZoomCrop } from './self-zoom.js';
import { makeRng } from './testing/seeded-rng.js';

type Case = Record<string, unknown> & { kind: string };

/** A map with a sink cell, a blob and noise; sometimes flat, tied or zero. */
function syntheticMap(rng: () => number, gridH: number, gridW: number, style: number): number[] {
  const n = gridH * gridW;
  if (style === 0) return new Array<number>(n).fill(1 / n);
  if (style === 1) return new Array<number>(n).fill(0);
  if (style === 2) return Array.from({ length: n }, () => Math.floor(rng() * 3));
  const cy = rng() * gridH;
  const cx = rng() * gridW;
  const s = 0.5 + rng() * 3;
  const m = Array.from({ length: n }, (_, i) => {
    const r = Math.floor(i / gridW);
    const c = i % gridW;
    return Math.exp(-((r - cy) ** 2 + (c - cx) ** 2) / (2 * s * s)) + rng() * 0.05;
  });
  if (style === 4) m[0] += 5; // an attention sink
  return m;
}

function cases(): Case[] {
  const rng = makeRng(20261202);
  const out: Case[] = [];
  for (let i = 0; i < 60; i++) {
    const gridH = 2 + Math.floor(rng() * 20);
    const gridW = 2 + Math.floor(rng() * 20);
    const map = syntheticMap(rng, gridH, gridW, i % 5);
    const width = gridW * (20 + Math.floor(rng() * 20)) + Math.floor(rng() * 13);
    const height = gridH * (20 + Math.floor(rng() * 20)) + Math.floor(rng() * 13);
    out.push({ kind: 'fixed', map, gridH, gridW, width, height, fraction: [0.1, 0.25, 0.5, 1][i % 4] });
    out.push({ kind: 'adaptive', map, gridH, gridW, width, height, baseSide: [56, 120, 200, 448][i % 4] });
    out.push({ kind: 'top', map, count: 1 + Math.floor(rng() * map.length) });
    out.push({ kind: 'rank-gaussian', map, gridH, gridW });
    const other = syntheticMap(rng, gridH, gridW, (i + 2) % 5);
    out.push({ kind: 'spearman', a: map, b: other });
    const maps = [other, syntheticMap(rng, gridH, gridW, 3)];
    out.push({ kind: 'context', map, maps, weights: [rng(), i % 7 === 0 ? 0 : rng()] });
    const a: Box = [rng() * 50, rng() * 50, 50 + rng() * 50, 50 + rng() * 50];
    const b: Box = [rng() * 80, rng() * 80, 80 + rng() * 40, 80 + rng() * 40];
    out.push({ kind: 'iou', a, b });
    const fractions = [0, 0.05, 0.1, 0.2];
    out.push({ kind: 'deletion', fractions, probs: fractions.map(() => rng()) });
  }
  return out;
}

function ours(c: Case): unknown {
  const num = (k: string) => c[k] as number;
  const map = c.map as number[];
  switch (c.kind) {
    case 'fixed':
    case 'adaptive': {
      const rule =
        c.kind === 'fixed'
          ? { mode: 'fixed' as const, fraction: num('fraction') }
          : { mode: 'adaptive' as const, baseSide: num('baseSide') };
      const crop = selfZoomCrop(
        map,
        { gridH: num('gridH'), gridW: num('gridW') },
        { imageWidth: num('width'), imageHeight: num('height') },
        rule,
      );
      return { box: crop.box, window: [crop.window.row, crop.window.col, crop.window.rows, crop.window.cols] };
    }
    case 'top':
      return topCells(map, num('count'));
    case 'rank-gaussian':
      return Array.from(rankGaussianFilter(map, num('gridH'), num('gridW')));
    case 'spearman': {
      const r = spearman(c.a as number[], c.b as number[]);
      return Number.isNaN(r) ? null : r;
    }
    case 'context': {
      const maps = c.maps as number[][];
      const weights = c.weights as number[];
      return Array.from(
        contextCorrected(
          map,
          maps.map((m, i) => ({ map: m, weight: weights[i] })),
        ).map,
      );
    }
    case 'iou':
      return boxIoU(c.a as Box, c.b as Box);
    case 'deletion': {
      const fractions = c.fractions as number[];
      const probs = c.probs as number[];
      return deletionArea(fractions.map((fraction, i) => ({ fraction, prob: probs[i] })));
    }
  }
  throw new Error(`unknown kind ${c.kind}`);
}

function close(a: unknown, b: unknown, path: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    expect(Math.abs(a - b), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
  } else if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, path).toBe(b.length);
    a.forEach((x, i) => close(x, b[i], `${path}[${i}]`));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of Object.keys(b)) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  } else expect(a, path).toEqual(b);
}

describe('map analyses against the numpy reference', () => {
  const all = cases();
  const expected = runPythonModule<unknown[]>('loupe_reference.analyses', all);

  for (const kind of ['fixed', 'adaptive', 'top', 'rank-gaussian', 'spearman', 'context', 'iou', 'deletion']) {
    it(`${kind}: every synthetic case agrees`, () => {
      const idx = all.map((c, i) => (c.kind === kind ? i : -1)).filter((i) => i >= 0);
      expect(idx.length).toBeGreaterThanOrEqual(60);
      for (const i of idx) close(ours(all[i]), expected[i], `${kind} case ${i}`);
    });
  }
});
