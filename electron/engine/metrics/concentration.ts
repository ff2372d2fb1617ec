// Measures of how concentrated a map is, relative to the key box or on its own.
import type { Box } from '../../contract/types.js';
import { clipBox } from './box.js';
import { coverageArea, type AreaGeometry, type PaperGeometry } from './coverage.js';
import { argMax, assertGridSize, sum } from './grid.js';

/**
 * Attention ratio (Zhang et al.): area-exact coverage divided by the box's share of the image, so a
 * uniform map scores exactly 1.0. Area-exact coverage is used (not paper coverage) because the
 * paper's inclusive end cell would make a uniform map score above 1. A zero-area box has no
 * meaningful ratio; it is reported as 0 (docs/metrics.md).
 */
export function attentionRatio(values: ArrayLike<number>, geometry: AreaGeometry, box: Box): number {
  const [x1, y1, x2, y2] = clipBox(box, geometry);
  const share = ((x2 - x1) * (y2 - y1)) / (geometry.imageWidth * geometry.imageHeight);
  if (!(share > 0)) return 0;
  return coverageArea(values, geometry, box) / share;
}

/**
 * Pointing game: is the centre of the arg-max cell inside the box (edges inclusive), in original
 * pixels. Ties go to the first cell in row-major order; a map with no finite maximum scores false.
 */
export function pointingGame(values: ArrayLike<number>, geometry: PaperGeometry, box: Box): boolean {
  assertGridSize(values, geometry.gridH, geometry.gridW);
  const [x1, y1, x2, y2] = clipBox(box, geometry);
  const idx = argMax(values);
  if (idx < 0) return false;
  const r = Math.floor(idx / geometry.gridW);
  const c = idx % geometry.gridW;
  const cx = ((c + 0.5) * geometry.imageWidth) / geometry.gridW;
  const cy = ((r + 0.5) * geometry.imageHeight) / geometry.gridH;
  return cx >= x1 && cx <= x2 && cy >= y1 && cy <= y2;
}

export interface EntropyResult {
  /** Shannon entropy of the map normalised to sum 1, in nats. */
  nats: number;
  /** nats / ln(cells): 1 for a uniform map, 0 for a single-cell spike; 0 for a one-cell grid. */
  normalized: number;
}

/** Entropy of the normalised visual map (negative values are treated as 0; 0 * ln 0 = 0). */
export function entropy(values: ArrayLike<number>): EntropyResult {
  let total = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > 0) total += values[i];
  if (!(total > 0)) return { nats: 0, normalized: 0 };
  let h = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > 0) {
      const p = v / total;
      h -= p * Math.log(p);
    }
  }
  const maxH = values.length > 1 ? Math.log(values.length) : 0;
  return { nats: h, normalized: maxH > 0 ? h / maxH : 0 };
}

/** Share-of-mass normalisation (sum 1); an all-zero map stays all zero. */
export function normalize(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  const total = sum(out);
  if (total > 0) for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}
