// Relative attention (Zhang et al., ICLR 2025): A(x, q) / A(x, q') with q' the generic prompt
// "Write a general description of the image." It divides out attention sinks and position bias that
// do not depend on the question.
import type { Box } from '../../contract/types.js';
import { coveragePaper, type PaperGeometry } from './coverage.js';
import { normalize } from './concentration.js';

/**
 * Epsilon, RELATIVE to the generic map's mean cell share: rel = a / (b + EPS * mean(b)) after both
 * maps are normalised to sum 1. It only guards division by (near) zero: at 1e-6 of an average cell
 * it changes ordinary cells by about a millionth, and a cell the generic prompt ignores completely
 * gets a large but finite value instead of Infinity/NaN.
 */
export const RELATIVE_EPSILON = 1e-6;

/**
 * Element-wise relative attention. Both maps are first normalised to sum 1, so 1.0 means "this cell
 * gets the same share of attention as under the generic prompt". The overall scale of the result
 * does not affect its coverage, which is normalised again.
 */
export function relativeAttention(question: ArrayLike<number>, generic: ArrayLike<number>, epsilon = RELATIVE_EPSILON): Float64Array {
  if (question.length !== generic.length) {
    throw new RangeError(`Relative attention needs maps on the same grid; got ${question.length} and ${generic.length} cells.`);
  }
  const a = normalize(question);
  const b = normalize(generic);
  const n = b.length;
  // After normalisation mean(b) is 1/n (or 0 for an all-zero generic map, then fall back to 1/n).
  const eps = epsilon * (1 / n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i] / (Math.max(0, b[i]) + eps);
  return out;
}

/** Paper-compatible coverage of the relative map. */
export function relativeCoveragePaper(
  question: ArrayLike<number>,
  generic: ArrayLike<number>,
  geometry: PaperGeometry,
  box: Box,
  epsilon = RELATIVE_EPSILON,
): number {
  return coveragePaper(relativeAttention(question, generic, epsilon), geometry, box);
}
