// Image decoding for the engine: every image the model sees goes through here so that EXIF orientation,
// colour conversion and the size guard are applied once, the same way, BEFORE the transformers.js processor.
// The processor never sees the file: it gets oriented RGB pixels, and the geometry reports oriented sizes
// (boxes in ZoomBench are in the pixels a viewer shows, i.e. after orientation).
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { InvalidImageError, NotFoundError } from '../errors.js';

/** Refuse anything larger before decoding: a 100-megapixel RGB image is already 300 MB of raw pixels. */
export const MAX_INPUT_PIXELS = 100_000_000;

/** An image the engine can read: a file, or bytes with a display name (the name goes into error messages). */
export type ImageInput = { path: string } | { name: string; bytes: Uint8Array };

/** Oriented, 8-bit RGB, row-major HWC pixels. */
export interface DecodedImage {
  name: string;
  width: number;
  height: number;
  rgb: Uint8Array;
  /** EXIF orientation tag of the source (1 when absent): kept so callers can say the image was rotated. */
  orientation: number;
}

export function inputName(input: ImageInput): string {
  return 'path' in input ? input.path : input.name;
}

/** The encoded bytes of an input; a missing file is a NotFoundError naming the file. */
export async function readImageBytes(input: ImageInput): Promise<Buffer> {
  if (!('path' in input)) return Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  try {
    return await readFile(input.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`Image file not found: ${input.path}`, { file: input.path, cause: err });
    const problem = `could not be read (${(err as Error).message})`;
    throw new InvalidImageError(`Could not read image file ${input.path}: ${(err as Error).message}`, {
      file: input.path,
      cause: err,
      problem,
    });
  }
}

interface Probe {
  width: number;
  height: number;
  orientation: number;
}

/** Reads only the header: size and orientation, and the pixel guard, before any pixel is decoded. */
async function probe(bytes: Buffer, name: string, maxPixels: number): Promise<Probe> {
  if (bytes.byteLength === 0) throw new InvalidImageError(`${name} is empty (0 bytes).`, { file: name });
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    const problem = `not a readable image (${(err as Error).message}); Loupe reads JPEG, PNG, WebP, GIF, TIFF and AVIF`;
    throw new InvalidImageError(`${name} is ${problem}.`, { file: name, cause: err, problem });
  }
  const { width, height } = meta;
  if (!width || !height) {
    const problem = 'no image size in its header; the file may be truncated';
    throw new InvalidImageError(`${name} has ${problem}.`, { file: name, problem });
  }
  if (width * height > maxPixels) {
    const problem = `${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels), over the ${maxPixels / 1e6} megapixel limit; downscale it first`;
    throw new InvalidImageError(`${name} is ${problem}.`, { file: name, problem });
  }
  const orientation = meta.orientation ?? 1;
  // Orientations 5-8 transpose the image.
  return orientation >= 5 ? { width: height, height: width, orientation } : { width, height, orientation };
}

function pipeline(bytes: Buffer, maxPixels: number): Sharp {
  // failOn 'error' turns truncated/corrupt data into an exception instead of grey pixels.
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).autoOrient();
}

/** Decodes to oriented RGB. Alpha is dropped (not composited), as PIL's convert('RGB') does on the Python side. */
export async function decodeImage(input: ImageInput, maxPixels = MAX_INPUT_PIXELS): Promise<DecodedImage> {
  const name = inputName(input);
  const bytes = await readImageBytes(input);
  const info = await probe(bytes, name, maxPixels);
  try {
    const { data, info: out } = await pipeline(bytes, maxPixels)
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (out.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${out.channels}`);
    return {
      name,
      width: out.width,
      height: out.height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      orientation: info.orientation,
    };
  } catch (err) {
    const problem = `could not be decoded: ${(err as Error).message}`;
    throw new InvalidImageError(`Could not decode ${name}: ${(err as Error).message}`, { file: name, cause: err, problem });
  }
}

/** Display bytes for the renderer: JPEG/PNG re-encoded with orientation applied, so the pixels match the boxes. */
export async function encodeForDisplay(
  input: ImageInput,
  maxPixels = MAX_INPUT_PIXELS,
): Promise<{ mime: string; bytes: Uint8Array; width: number; height: number }> {
  const name = inputName(input);
  const bytes = await readImageBytes(input);
  const info = await probe(bytes, name, maxPixels);
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  // PNG keeps transparency and palette images crisp; everything else becomes JPEG (small over IPC/WebSocket).
  const png = meta.format === 'png' || meta.format === 'gif' || meta.hasAlpha === true;
  try {
    const out = png ? await pipeline(bytes, maxPixels).png().toBuffer() : await pipeline(bytes, maxPixels).jpeg({ quality: 92 }).toBuffer();
    return {
      mime: png ? 'image/png' : 'image/jpeg',
      bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    const problem = `could not be decoded: ${(err as Error).message}`;
    throw new InvalidImageError(`Could not decode ${name}: ${(err as Error).message}`, { file: name, cause: err, problem });
  }
}
