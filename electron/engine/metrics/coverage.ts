// Attention coverage: the share of visual attention that falls inside the key-region box.
// Two modes (docs/metrics.md):
//  - paper-compatible: cell selection reproduced bit-for-bit from the paper's eval_coverage.py
//    (truncating int(), clamping, the "+1" widening, the inclusive end cell, numpy slice semantics);
//  - area-exact: each cell weighted by the fraction of its area inside the box, in the resized
//    image's geometry (the geometry the model actually saw).
import type { Box, GridGeometry } from '../../contract/types.js';
import { clipBox } from './box.js';
import { assertGridSize, sum } from './grid.js';

export type PaperGeometry = Pick<GridGeometry, 'imageWidth' | 'imageHeight' | 'gridH' | 'gridW'>;
export type AreaGeometry = Pick<
  GridGeometry,
  'imageWidth' | 'imageHeight' | 'resizedWidth' | 'resizedHeight' | 'gridH' | 'gridW' | 'tokenPx'
>;

/**
 * Cells selected by the paper's code: rows y1..y2 and columns x1..x2, both INCLUSIVE, exactly the
 * indices it computes. x2 (y2) may equal gridW (gridH) after the "+1" widening of a box in the last
 * column; numpy slicing then simply stops at the edge, and so do `rowEnd`/`colEnd` (exclusive, clipped).
 */
export interface PaperCellRange {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Exclusive ends actually summed: min(x2 + 1, gridW), min(y2 + 1, gridH). */
  colEnd: number;
  rowEnd: number;
}

function paperAxis(lo: number, hi: number, size: number, grid: number): [number, number] {
  // Same operation order as Python `int(x / img_w * att_w)`: divide, multiply, truncate toward zero.
  let a = Math.trunc((lo / size) * grid);
  let b = Math.trunc((hi / size) * grid);
  a = Math.max(0, Math.min(a, grid - 1));
  b = Math.max(0, Math.min(b, grid - 1));
  if (b <= a) b = a + 1;
  return [a, b];
}

export function paperCellRange(box: Box, geometry: PaperGeometry): PaperCellRange {
  const [bx1, by1, bx2, by2] = clipBox(box, geometry);
  const [x1, x2] = paperAxis(bx1, bx2, geometry.imageWidth, geometry.gridW);
  const [y1, y2] = paperAxis(by1, by2, geometry.imageHeight, geometry.gridH);
  return { x1, y1, x2, y2, colEnd: Math.min(x2 + 1, geometry.gridW), rowEnd: Math.min(y2 + 1, geometry.gridH) };
}

/** Sum of the values inside a paper cell range (row-major grid). */
export function sumPaperRange(values: ArrayLike<number>, gridW: number, range: PaperCellRange): number {
  let inside = 0;
  for (let r = range.y1; r < range.rowEnd; r++) {
    const base = r * gridW;
    for (let c = range.x1; c < range.colEnd; c++) inside += values[base + c];
  }
  return inside;
}

/** Paper-compatible coverage in [0, 1]; 0 when the map has no positive mass (as the paper does). */
export function coveragePaper(values: ArrayLike<number>, geometry: PaperGeometry, box: Box): number {
  assertGridSize(values, geometry.gridH, geometry.gridW);
  const range = paperCellRange(box, geometry);
  const total = sum(values);
  if (!(total > 0)) return 0;
  return sumPaperRange(values, geometry.gridW, range) / total;
}

/** Per-axis overlap of [lo, hi] (in cell units) with each cell [i, i + 1), as a fraction of a cell side. */
function axisOverlap(lo: number, hi: number, cells: number): Float64Array {
  const w = new Float64Array(cells);
  const first = Math.max(0, Math.floor(lo));
  const last = Math.min(cells - 1, Math.ceil(hi) - 1);
  for (let i = first; i <= last; i++) {
    const o = Math.min(hi, i + 1) - Math.max(lo, i);
    if (o > 0) w[i] = Math.min(1, o);
  }
  return w;
}

/**
 * Fraction of each cell's area inside the box, row-major, in the resized image's geometry:
 * the box is scaled by resizedWidth/imageWidth and resizedHeight/imageHeight, cells are tokenPx squares.
 * The overlay in the renderer draws these weights, so it is exported.
 */
export function areaCellWeights(geometry: AreaGeometry, box: Box): Float64Array {
  const [x1, y1, x2, y2] = clipBox(box, geometry);
  const sx = geometry.resizedWidth / geometry.imageWidth / geometry.tokenPx;
  const sy = geometry.resizedHeight / geometry.imageHeight / geometry.tokenPx;
  const wx = axisOverlap(x1 * sx, x2 * sx, geometry.gridW);
  const wy = axisOverlap(y1 * sy, y2 * sy, geometry.gridH);
  const out = new Float64Array(geometry.gridH * geometry.gridW);
  for (let r = 0; r < geometry.gridH; r++) {
    if (wy[r] === 0) continue;
    for (let c = 0; c < geometry.gridW; c++) out[r * geometry.gridW + c] = wy[r] * wx[c];
  }
  return out;
}

/** Area-exact coverage in [0, 1]; 0 for a map with no positive mass or a zero-area box. */
export function coverageArea(values: ArrayLike<number>, geometry: AreaGeometry, box: Box): number {
  assertGridSize(values, geometry.gridH, geometry.gridW);
  const weights = areaCellWeights(geometry, box);
  const total = sum(values);
  if (!(total > 0)) return 0;
  let inside = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) inside += weights[i] * values[i];
  return inside / total;
}

/** Share of the resized grid's area inside the box (equals the box's share of the original image). */
export function areaShareOnGrid(geometry: AreaGeometry, box: Box): number {
  return sum(areaCellWeights(geometry, box)) / (geometry.gridH * geometry.gridW);
}
