// Image decoding for the engine: every image the model sees goes through here, decoded the way the chosen
// preprocessing protocol's Python pipeline decodes it (docs/preprocessing.md). libvips (sharp) decodes;
// where its result differs from PIL's the PIL result is produced from sharp's raw data (pil-compat.ts):
// CMYK by PIL's plain inversion, alpha composited onto white (paper) or dropped (hf), a GIF's transparent
// pixels in their palette colour, 16-bit greyscale saturated as PIL does (with a warning), ICC profiles
// ignored. BMP, which sharp cannot read, has its own reader. EXIF orientation is applied under `hf`
// (transformers' load_image) and ignored under `paper` (the paper's script works in the stored frame).
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { PreprocessProtocol } from '../../contract/types.js';
import { InvalidImageError, NotFoundError } from '../errors.js';
import { bmpSize, decodeBmp, isBmp } from './bmp.js';
import { cmykToRgb, compositeOnWhite, dropAlpha, gifToRgb, gifTransparentColour, saturate16 } from './pil-compat.js';

/** Refuse anything larger before decoding: a 100-megapixel RGB image is already 300 MB of raw pixels. */
export const MAX_INPUT_PIXELS = 100_000_000;

/** An image the engine can read: a file, or bytes with a display name (the name goes into error messages). */
export type ImageInput = { path: string } | { name: string; bytes: Uint8Array };

/** 8-bit RGB, row-major HWC pixels, in the frame the protocol uses (oriented under hf, stored under paper). */
export interface DecodedImage {
  name: string;
  width: number;
  height: number;
  rgb: Uint8Array;
  /** EXIF orientation tag of the source (1 when absent): kept so callers can say the image was rotated. */
  orientation: number;
  /** The protocol whose decode produced these pixels; the rest of its chain follows in preprocess/. */
  protocol: PreprocessProtocol;
  /** Where the protocol's pipeline changes the picture (16-bit saturation, an ignored EXIF rotation). */
  warnings: string[];
}

export interface DecodeOptions {
  /** Default `hf`: EXIF applied, alpha dropped (what transformers' load_image does). */
  protocol?: PreprocessProtocol;
  /** Refuse images over this many pixels before decoding. */
  maxInputPixels?: number;
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
  /** sharp's header metadata, kept so the decode does not read the header again (absent for BMP). */
  meta?: Metadata;
}

/** Reads only the header: size and orientation, and the pixel guard, before any pixel is decoded. */
async function probe(bytes: Buffer, name: string, maxPixels: number): Promise<Probe> {
  if (bytes.byteLength === 0) throw new InvalidImageError(`${name} is empty (0 bytes).`, { file: name, problem: 'empty (0 bytes)' });
  if (isBmp(bytes)) return checkSize(bmpSize(bytes), 1, name, maxPixels);
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
  return { ...checkSize({ width, height }, meta.orientation ?? 1, name, maxPixels), meta };
}

function checkSize(size: { width: number; height: number }, orientation: number, name: string, maxPixels: number): Probe {
  const { width, height } = size;
  if (!(width > 0 && height > 0)) {
    const problem = `a header that gives ${width}x${height} pixels; the file may be truncated or corrupt`;
    throw new InvalidImageError(`${name} has ${problem}.`, { file: name, problem });
  }
  if (width * height > maxPixels) {
    const problem = `${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels), over the ${maxPixels / 1e6} megapixel limit; downscale it first`;
    throw new InvalidImageError(`${name} is ${problem}.`, { file: name, problem });
  }
  // Orientations 5-8 transpose the image.
  return orientation >= 5 ? { width: height, height: width, orientation } : { width, height, orientation };
}

function pipeline(bytes: Buffer, maxPixels: number, orient = true): Sharp {
  // failOn 'error' turns truncated/corrupt data into an exception instead of grey pixels; ICC profiles
  // are ignored because PIL ignores them (a Display P3 photo would otherwise change colour).
  const s = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', ignoreIcc: true });
  return orient ? s.autoOrient() : s;
}

interface Pixels {
  width: number;
  height: number;
  rgb: Uint8Array;
  warnings: string[];
}

/** PIL's RGB for the file under a protocol (see the header comment for each case). */
async function decodePixels(bytes: Buffer, protocol: PreprocessProtocol, maxPixels: number, header?: Metadata): Promise<Pixels> {
  if (isBmp(bytes)) return { ...decodeBmp(bytes), warnings: [] };
  const meta = header ?? (await sharp(bytes, { limitInputPixels: false }).metadata());
  const base = pipeline(bytes, maxPixels, protocol === 'hf');
  if (meta.space === 'cmyk') {
    const { data, info } = await base.pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, rgb: cmykToRgb(data, info.width * info.height), warnings: [] };
  }
  if (meta.depth === 'ushort' && meta.channels === 1) {
    const { data, info } = await base
      .pipelineColourspace('grey16')
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    const { rgb, saturated } = saturate16(new Uint16Array(data.buffer, data.byteOffset, n), n);
    const warnings =
      saturated > 0
        ? [
            `16-bit greyscale: PIL's convert("RGB"), used by both the paper's pipeline and transformers, clips values over 255, so ${(100 * saturated).toFixed(1)}% of the pixels are white; the model sees them so. Convert the image to 8 bits yourself to keep its contrast.`,
          ]
        : [];
    return { width: info.width, height: info.height, rgb, warnings };
  }
  const { data, info } = await base.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (info.channels === 3) return { width: info.width, height: info.height, rgb: raw, warnings: [] };
  if (info.channels !== 4) throw new Error(`expected 3 or 4 channels after conversion, got ${info.channels}`);
  let rgb: Uint8Array;
  const gifColour = meta.format === 'gif' ? gifTransparentColour(bytes) : undefined;
  if (gifColour) rgb = gifToRgb(raw, n, gifColour);
  // Only a PIL "RGBA" image is composited (qwen_vl_utils' to_rgb): palette and grey+alpha files drop it.
  else if (protocol === 'paper' && meta.channels === 4 && !meta.isPalette) rgb = compositeOnWhite(raw, n);
  else rgb = dropAlpha(raw, n);
  return { width: info.width, height: info.height, rgb, warnings: [] };
}

/** Decodes to 8-bit RGB as the protocol's Python pipeline does. */
export async function decodeImage(input: ImageInput, options: DecodeOptions = {}): Promise<DecodedImage> {
  const protocol = options.protocol ?? 'hf';
  const maxPixels = options.maxInputPixels ?? MAX_INPUT_PIXELS;
  const name = inputName(input);
  const bytes = await readImageBytes(input);
  const info = await probe(bytes, name, maxPixels);
  let pixels: Pixels;
  try {
    pixels = await decodePixels(bytes, protocol, maxPixels, info.meta);
  } catch (err) {
    const problem = `could not be decoded: ${(err as Error).message}`;
    throw new InvalidImageError(`Could not decode ${name}: ${(err as Error).message}`, { file: name, cause: err, problem });
  }
  const warnings = [...pixels.warnings];
  if (protocol === 'paper' && info.orientation !== 1) {
    warnings.push(
      `EXIF orientation ${info.orientation} is ignored under the paper protocol (its script works in the stored frame): the model, the sizes and the box use the un-rotated ${pixels.width}x${pixels.height} pixels.`,
    );
  }
  return { name, width: pixels.width, height: pixels.height, rgb: pixels.rgb, orientation: info.orientation, protocol, warnings };
}

/** Display bytes for the renderer: JPEG/PNG re-encoded in the protocol's frame, so the pixels match the boxes. */
export async function encodeForDisplay(
  input: ImageInput,
  options: DecodeOptions = {},
): Promise<{ mime: string; bytes: Uint8Array; width: number; height: number }> {
  const protocol = options.protocol ?? 'hf';
  const maxPixels = options.maxInputPixels ?? MAX_INPUT_PIXELS;
  const name = inputName(input);
  const bytes = await readImageBytes(input);
  const info = await probe(bytes, name, maxPixels);
  const orient = protocol === 'hf';
  const size = !orient && info.orientation >= 5 ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
  try {
    if (isBmp(bytes)) {
      const bmp = decodeBmp(bytes);
      const out = await sharp(bmp.rgb, { raw: { width: bmp.width, height: bmp.height, channels: 3 } })
        .png()
        .toBuffer();
      return { mime: 'image/png', bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), ...size };
    }
    const meta = info.meta ?? (await sharp(bytes, { limitInputPixels: false }).metadata());
    // PNG keeps transparency and palette images crisp; everything else becomes JPEG (small over IPC/WebSocket).
    const png = meta.format === 'png' || meta.format === 'gif' || meta.hasAlpha === true;
    const p = pipeline(bytes, maxPixels, orient);
    const out = png ? await p.png().toBuffer() : await p.jpeg({ quality: 92 }).toBuffer();
    return { mime: png ? 'image/png' : 'image/jpeg', bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), ...size };
  } catch (err) {
    const problem = `could not be decoded: ${(err as Error).message}`;
    throw new InvalidImageError(`Could not decode ${name}: ${(err as Error).message}`, { file: name, cause: err, problem });
  }
}
