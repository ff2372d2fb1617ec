// Faithfulness by deletion (RISE, Petsiuk et al. 2018; docs/metrics.md "Faithfulness"): remove the
// cells a map ranks highest, re-run, and follow the probability of the original answer's first token.
// Pure parts: which cells go, which pixels they are, and the area under the resulting curve.
import type { Box } from '../../contract/types.js';
import { seededRng } from '../stats/rng.js';
import type { GridShape, ImageExtent } from './self-zoom.js';

/** Cells to remove for a fraction k of the visual area: round(k * cells), at least one. */
export function cellCount(fraction: number, cells: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`A deletion fraction must be in (0, 1]; got ${fraction}.`);
  return Math.min(cells, Math.max(1, Math.round(fraction * cells)));
}

/** The `count` highest cells, highest first (ties: the lower index first). */
export function topCells(map: ArrayLike<number>, count: number): number[] {
  const order = Array.from({ length: map.length }, (_, i) => i);
  order.sort((a, b) => map[b] - map[a] || a - b);
  return order.slice(0, count);
}

/** `count` distinct cells drawn uniformly with a seeded generator (a partial Fisher-Yates shuffle). */
export function randomCells(cells: number, count: number, seed: number): number[] {
  const rng = seededRng(seed);
  const pool = Array.from({ length: cells }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (cells - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

/** Every cell whose rectangle overlaps the box (what deleting "the key box" removes on the grid). */
export function boxCells(box: Box, grid: GridShape, image: ImageExtent): number[] {
  const cw = image.imageWidth / grid.gridW;
  const ch = image.imageHeight / grid.gridH;
  const c0 = Math.max(0, Math.floor(box[0] / cw));
  const c1 = Math.min(grid.gridW - 1, Math.ceil(box[2] / cw) - 1);
  const r0 = Math.max(0, Math.floor(box[1] / ch));
  const r1 = Math.min(grid.gridH - 1, Math.ceil(box[3] / ch) - 1);
  const out: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(r * grid.gridW + c);
  return out;
}

/** The original-image pixel rectangle of each cell (the contract's GridGeometry rule), whole pixels. */
export function cellRects(cells: readonly number[], grid: GridShape, image: ImageExtent): Box[] {
  const cw = image.imageWidth / grid.gridW;
  const ch = image.imageHeight / grid.gridH;
  return cells.map((i) => {
    const r = Math.floor(i / grid.gridW);
    const c = i % grid.gridW;
    return [
      Math.floor(c * cw),
      Math.floor(r * ch),
      Math.min(image.imageWidth, Math.ceil((c + 1) * cw)),
      Math.min(image.imageHeight, Math.ceil((r + 1) * ch)),
    ];
  });
}

export interface CurvePoint {
  /** Fraction of the visual area removed (0 = the original image). */
  fraction: number;
  /** Probability of the original answer's first token. */
  prob: number;
}

/**
 * Area under the deletion curve by the trapezoid rule over the fractions given (sorted, starting at
 * 0), divided by the fraction range so that it is a mean probability; lower = the map found what the
 * answer depends on. Also the drop at each point relative to the original.
 */
export function deletionArea(points: readonly CurvePoint[]): number {
  if (points.length < 2) throw new RangeError('A deletion curve needs the original point and at least one deletion.');
  const p = [...points].sort((a, b) => a.fraction - b.fraction);
  if (p[0].fraction !== 0) throw new RangeError('A deletion curve starts at fraction 0 (the original image).');
  let area = 0;
  for (let i = 1; i < p.length; i++) area += ((p[i].prob + p[i - 1].prob) / 2) * (p[i].fraction - p[i - 1].fraction);
  const range = p[p.length - 1].fraction - p[0].fraction;
  return range > 0 ? area / range : p[0].prob;
}
