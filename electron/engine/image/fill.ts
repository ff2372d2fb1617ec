// Removing image evidence for the faithfulness analysis: rectangles filled with the image's mean colour
// (docs/metrics.md "Faithfulness"). Works on decoded RGB so the result goes through the same analysis
// path (and the same preprocessing) as any other image.
import type { Box } from '../../contract/types.js';
import type { DecodedImage } from './decode.js';

/** Mean of each channel over the whole image, rounded to whole 8-bit levels. */
export function meanColour(image: DecodedImage): [number, number, number] {
  const sums = [0, 0, 0];
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    sums[0] += image.rgb[i * 3];
    sums[1] += image.rgb[i * 3 + 1];
    sums[2] += image.rgb[i * 3 + 2];
  }
  return n > 0 ? [Math.round(sums[0] / n), Math.round(sums[1] / n), Math.round(sums[2] / n)] : [0, 0, 0];
}

/** A copy of the image with every rectangle ([x1, y1, x2, y2) in its pixels, clamped) set to `colour`. */
export function fillRects(
  image: DecodedImage,
  rects: readonly Box[],
  colour: readonly [number, number, number],
  label: string,
): DecodedImage {
  const rgb = new Uint8Array(image.rgb);
  for (const [x1, y1, x2, y2] of rects) {
    const left = Math.max(0, Math.floor(x1));
    const right = Math.min(image.width, Math.ceil(x2));
    const top = Math.max(0, Math.floor(y1));
    const bottom = Math.min(image.height, Math.ceil(y2));
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) {
        const o = (y * image.width + x) * 3;
        rgb[o] = colour[0];
        rgb[o + 1] = colour[1];
        rgb[o + 2] = colour[2];
      }
    }
  }
  return { ...image, name: `${image.name} [${label}]`, rgb };
}
