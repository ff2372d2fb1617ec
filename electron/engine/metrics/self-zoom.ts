// Self-zoom (docs/metrics.md, "Self-zoom diagnosis"): where would the model crop if it zoomed by its
// own attention, as attention-guided cropping does in "MLLMs Know Where to Look" (ViCrop, ICLR 2025)?
// Pure functions on a merged-token attention grid; the engine re-runs the question on the crop.
import type { Box } from '../../contract/types.js';
import { assertGridSize } from './grid.js';

export interface GridShape {
  gridH: number;
  gridW: number;
}

export interface ImageExtent {
  imageWidth: number;
  imageHeight: number;
}

/** A window of whole cells: top-left cell and size in cells. */
export interface CellWindow {
  row: number;
  col: number;
  rows: number;
  cols: number;
}

export type CropRule =
  /** A window of `fraction` of the grid's height and width (the image's aspect), at the largest attention sum. */
  | { mode: 'fixed'; fraction: number }
  /**
   * ViCrop's adaptive rule: square windows of baseSide * ratio original pixels for each ratio; the ratio
   * whose best window stands out most from its four neighbouring windows (sum minus their mean, per
   * cell) wins; the crop is a square of that side centred on the window, moved inside the image.
   */
  | { mode: 'adaptive'; baseSide: number; ratios?: readonly number[] };

export const VICROP_RATIOS: readonly number[] = [1, 1.2, 1.4, 1.6, 1.8, 2];

export interface SelfZoomCrop {
  /** The crop in original-image pixels, whole pixels, inside the image. */
  box: Box;
  /** The attention window it was chosen from. */
  window: CellWindow;
  /** Share of the map's total inside the window. */
  windowMass: number;
  rule: CropRule;
}

/** Summed-area table with a zero first row and column: S[(r)*(W+1)+c] = sum of cells above-left of (r, c). */
function integral(map: ArrayLike<number>, { gridH, gridW }: GridShape): Float64Array {
  const s = new Float64Array((gridH + 1) * (gridW + 1));
  for (let r = 0; r < gridH; r++) {
    let rowSum = 0;
    for (let c = 0; c < gridW; c++) {
      rowSum += map[r * gridW + c];
      s[(r + 1) * (gridW + 1) + c + 1] = s[r * (gridW + 1) + c + 1] + rowSum;
    }
  }
  return s;
}

function windowSum(s: Float64Array, gridW: number, w: CellWindow): number {
  const W = gridW + 1;
  return s[(w.row + w.rows) * W + w.col + w.cols] - s[w.row * W + w.col + w.cols] - s[(w.row + w.rows) * W + w.col] + s[w.row * W + w.col];
}

/**
 * Largest window sum of a given size. Ties go to the first window in row-major order of its top-left
 * cell; sums within TIE_TOLERANCE of the map's total count as ties, so that rounding in how a sum is
 * accumulated never decides between equal windows (a flat map crops its top-left corner).
 */
export const TIE_TOLERANCE = 1e-9;

function bestWindow(s: Float64Array, grid: GridShape, rows: number, cols: number): { window: CellWindow; sum: number } {
  let best: CellWindow = { row: 0, col: 0, rows, cols };
  let bestSum = -Infinity;
  const tol = TIE_TOLERANCE * Math.abs(s[s.length - 1]);
  for (let row = 0; row + rows <= grid.gridH; row++) {
    for (let col = 0; col + cols <= grid.gridW; col++) {
      const w = { row, col, rows, cols };
      const v = windowSum(s, grid.gridW, w);
      if (v > bestSum + tol) {
        bestSum = v;
        best = w;
      }
    }
  }
  return { window: best, sum: bestSum };
}

/** The pixel rectangle of a cell window (cells follow the contract's GridGeometry rule), rounded outwards. */
export function windowBox(window: CellWindow, grid: GridShape, image: ImageExtent): Box {
  const cw = image.imageWidth / grid.gridW;
  const ch = image.imageHeight / grid.gridH;
  return [
    Math.max(0, Math.floor(window.col * cw)),
    Math.max(0, Math.floor(window.row * ch)),
    Math.min(image.imageWidth, Math.ceil((window.col + window.cols) * cw)),
    Math.min(image.imageHeight, Math.ceil((window.row + window.rows) * ch)),
  ];
}

function checkRule(rule: CropRule): void {
  if (rule.mode === 'fixed') {
    if (!(rule.fraction > 0 && rule.fraction <= 1)) throw new RangeError(`A fixed crop fraction must be in (0, 1]; got ${rule.fraction}.`);
  } else if (!(rule.baseSide > 0) || (rule.ratios ?? VICROP_RATIOS).some((r) => !(r > 0))) {
    throw new RangeError(`An adaptive crop needs a positive base side and positive ratios; got ${rule.baseSide}.`);
  }
}

export function selfZoomCrop(map: ArrayLike<number>, grid: GridShape, image: ImageExtent, rule: CropRule): SelfZoomCrop {
  assertGridSize(map, grid.gridH, grid.gridW);
  checkRule(rule);
  const s = integral(map, grid);
  const total = s[s.length - 1];
  const mass = (w: CellWindow) => (total > 0 ? windowSum(s, grid.gridW, w) / total : 0);
  if (rule.mode === 'fixed') {
    const rows = Math.min(grid.gridH, Math.max(1, Math.round(rule.fraction * grid.gridH)));
    const cols = Math.min(grid.gridW, Math.max(1, Math.round(rule.fraction * grid.gridW)));
    const { window } = bestWindow(s, grid, rows, cols);
    return { box: windowBox(window, grid, image), window, windowMass: mass(window), rule };
  }
  return adaptiveCrop(s, grid, image, rule, mass);
}

function adaptiveCrop(
  s: Float64Array,
  grid: GridShape,
  image: ImageExtent,
  rule: Extract<CropRule, { mode: 'adaptive' }>,
  mass: (w: CellWindow) => number,
): SelfZoomCrop {
  const cw = image.imageWidth / grid.gridW;
  const ch = image.imageHeight / grid.gridH;
  let chosen: { window: CellWindow; side: number; sharpness: number } | undefined;
  for (const [i, ratio] of (rule.ratios ?? VICROP_RATIOS).entries()) {
    const side = rule.baseSide * ratio;
    const cols = Math.min(Math.floor(side / cw), grid.gridW);
    const rows = Math.min(Math.floor(side / ch), grid.gridH);
    if (cols < 1 || rows < 1) continue;
    // A window as large as the grid is no crop: the whole image if even the smallest is, else skip it.
    if (grid.gridW - cols < 1 && grid.gridH - rows < 1) {
      if (i === 0) {
        const whole = { row: 0, col: 0, rows: grid.gridH, cols: grid.gridW };
        return { box: [0, 0, image.imageWidth, image.imageHeight], window: whole, windowMass: mass(whole), rule };
      }
      continue;
    }
    const { window, sum } = bestWindow(s, grid, rows, cols);
    const neighbours: number[] = [];
    for (const [dr, dc] of [
      [0, -1],
      [0, 1],
      [-1, 0],
      [1, 0],
    ]) {
      const n = { ...window, row: window.row + dr, col: window.col + dc };
      if (n.row >= 0 && n.col >= 0 && n.row + rows <= grid.gridH && n.col + cols <= grid.gridW)
        neighbours.push(windowSum(s, grid.gridW, n));
    }
    const around = neighbours.length > 0 ? neighbours.reduce((a, b) => a + b, 0) / neighbours.length : 0;
    const sharpness = (sum - around) / (rows * cols);
    if (!chosen || sharpness > chosen.sharpness + TIE_TOLERANCE * Math.abs(s[s.length - 1])) chosen = { window, side, sharpness };
  }
  if (!chosen) {
    // Cells larger than every candidate side: the single best cell.
    const { window } = bestWindow(s, grid, 1, 1);
    return { box: windowBox(window, grid, image), window, windowMass: mass(window), rule };
  }
  const { window, side } = chosen;
  const half = side / 2;
  const clampCentre = (c: number, extent: number) => Math.min(Math.max(c, half), extent - half);
  const cx = clampCentre((window.col + window.cols / 2) * cw, image.imageWidth);
  const cy = clampCentre((window.row + window.rows / 2) * ch, image.imageHeight);
  const box: Box = [
    Math.max(0, Math.floor(cx - half)),
    Math.max(0, Math.floor(cy - half)),
    Math.min(image.imageWidth, Math.ceil(cx + half)),
    Math.min(image.imageHeight, Math.ceil(cy + half)),
  ];
  return { box, window, windowMass: mass(window), rule };
}

/** Intersection over union of two boxes ([x1, y1, x2, y2], any units); 0 when either is empty. */
export function boxIoU(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const area = (x: Box) => Math.max(0, x[2] - x[0]) * Math.max(0, x[3] - x[1]);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Whether the centre of `inner` lies inside `outer` (edges included). */
export function centreInside(inner: Box, outer: Box): boolean {
  const cx = (inner[0] + inner[2]) / 2;
  const cy = (inner[1] + inner[3]) / 2;
  return cx >= outer[0] && cx <= outer[2] && cy >= outer[1] && cy <= outer[3];
}

/**
 * The share of the zooming gap that self-zoom recovers: (selfZoom - global) / (regional - global), all
 * accuracies over the same items. Undefined (NaN) when there is no gap to recover.
 */
export function gapRecovered(global: number, selfZoom: number, regional: number): number {
  const gap = regional - global;
  return gap === 0 ? Number.NaN : (selfZoom - global) / gap;
}
