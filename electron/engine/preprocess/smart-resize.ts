// The two smart_resize variants the protocols use, with Python's arithmetic: `round` is half to even
// (transformers.js's Math.round rounds halves up, which gives a different grid for e.g. 966x644 at
// factor 28), and every division/sqrt is the same IEEE double operation Python performs, so the sizes
// agree exactly. Stated in Python in native-models/loupe_preprocess/chains.py.
import { InvalidImageError } from '../errors.js';

/** Largest accepted ratio of the long side to the short side (both variants refuse anything over it). */
export const MAX_ASPECT_RATIO = 200;

/** Python's round() on a double: the nearest integer, ties to the even one. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

export interface ResizeTarget {
  height: number;
  width: number;
}

/** Refuses an image with no pixels or an aspect ratio over 200:1 (InvalidImageError naming it). */
export function checkAspect(height: number, width: number, name: string): void {
  if (!(height > 0 && width > 0)) {
    throw new InvalidImageError(`${name} has no pixels (${width}x${height}).`, { file: name, problem: `${width}x${height}: no pixels` });
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > MAX_ASPECT_RATIO) {
    const problem = `${width}x${height}: its aspect ratio ${ratio.toFixed(1)}:1 is over the ${MAX_ASPECT_RATIO}:1 the Qwen-VL processors accept; crop or pad it first`;
    throw new InvalidImageError(`${name} is ${problem}.`, { file: name, problem });
  }
}

/** qwen_vl_utils 0.0.14 smart_resize: a floor of one factor on the rounded size. */
export function smartResizeQwenVlUtils(
  height: number,
  width: number,
  factor: number,
  minPixels: number,
  maxPixels: number,
  name = 'image',
): ResizeTarget {
  if (maxPixels < minPixels) throw new InvalidImageError(`max_pixels ${maxPixels} is below min_pixels ${minPixels}.`, { file: name });
  checkAspect(height, width, name);
  let h = Math.max(factor, roundHalfEven(height / factor) * factor);
  let w = Math.max(factor, roundHalfEven(width / factor) * factor);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.floor(height / beta / factor) * factor;
    w = Math.floor(width / beta / factor) * factor;
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: h, width: w };
}

/** transformers' Qwen2-VL smart_resize (Qwen2.5-VL and Qwen3-VL use it too): the floor is on the max branch. */
export function smartResizeHf(
  height: number,
  width: number,
  factor: number,
  minPixels: number,
  maxPixels: number,
  name = 'image',
): ResizeTarget {
  checkAspect(height, width, name);
  let h = roundHalfEven(height / factor) * factor;
  let w = roundHalfEven(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: h, width: w };
}
