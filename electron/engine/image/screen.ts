// A cheap check of encoded image bytes, for opening many images at once (a benchmark import): what the
// header says (a readable format, a size, the pixel limit, the 200:1 aspect limit both processors
// enforce) and whether the file ends where its format says it must (JPEG's EOI marker, PNG's IEND chunk,
// GIF's trailer), which catches the usual truncation without decoding every pixel. A single image the
// user opens gets the full decode instead (`images.check`).
import sharp from 'sharp';
import { InvalidImageError } from '../errors.js';
import { checkAspect } from '../preprocess/smart-resize.js';
import { bmpSize, isBmp } from './bmp.js';
import { MAX_INPUT_PIXELS } from './decode.js';

function ends(bytes: Uint8Array, tail: number[], slack: number): boolean {
  // Writers may pad after the end marker: look for it in the last `slack` bytes.
  const from = Math.max(0, bytes.length - slack - tail.length);
  for (let i = bytes.length - tail.length; i >= from; i--) if (tail.every((b, k) => bytes[i + k] === b)) return true;
  return false;
}

/** Throws an InvalidImageError naming `name` and the cause; returns the stored size when the image looks whole. */
export async function screenImage(bytes: Uint8Array, name: string): Promise<{ width: number; height: number }> {
  const refuse = (problem: string): never => {
    throw new InvalidImageError(`${name}: ${problem}`, { file: name, problem });
  };
  if (bytes.byteLength === 0) refuse('empty (0 bytes)');
  let size: { width: number; height: number };
  let format = 'bmp';
  if (isBmp(bytes)) size = bmpSize(bytes);
  else {
    try {
      const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
      size = { width: meta.width ?? 0, height: meta.height ?? 0 };
      format = meta.format ?? 'unknown';
    } catch (err) {
      return refuse(`not a readable image (${(err as Error).message}); Loupe reads JPEG, PNG, WebP, GIF, BMP and TIFF`);
    }
  }
  if (!(size.width > 0 && size.height > 0)) refuse('no image size in its header; the file may be truncated');
  if (size.width * size.height > MAX_INPUT_PIXELS)
    refuse(`${size.width}x${size.height} is over the ${MAX_INPUT_PIXELS / 1e6} megapixel limit; downscale it first`);
  checkAspect(size.height, size.width, name);
  const truncated =
    (format === 'jpeg' && !ends(bytes, [0xff, 0xd9], 64)) ||
    (format === 'png' && !ends(bytes, [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], 64)) ||
    (format === 'gif' && !ends(bytes, [0x3b], 64));
  if (truncated) refuse(`truncated: the ${format.toUpperCase()} data stops before its end marker`);
  return size;
}
