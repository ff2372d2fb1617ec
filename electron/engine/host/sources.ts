// Resolves the contract's ImageSource into decoded pixels (or encoded bytes for display). A benchItem
// source reads the bench's own bytes; its regional view is the bench's crop_image, or the box cut out of
// the full image when the bench has no crop.
import sharp from 'sharp';
import type { Box, ImageCheck, ImageSource, PreprocessProtocol } from '../../contract/types.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { cropImage } from '../image/crop.js';
import { decodeImage, encodeForDisplay, type DecodedImage, type ImageInput } from '../image/decode.js';
import type { BenchItem } from '../bench/index.js';
import type { BenchRegistry } from './benches.js';
import { checkAspect } from '../preprocess/smart-resize.js';

export interface ResolvedSource {
  input: ImageInput;
  /** Set when the image must still be cut from `input` at this box (regional view of a crop-less item). */
  cutBox?: Box;
  item?: BenchItem;
}

export async function benchItem(benches: BenchRegistry, benchId: string, itemId: string): Promise<BenchItem> {
  const bench = await benches.get(benchId);
  const item = bench.get(itemId);
  if (!item) throw new NotFoundError(`Benchmark ${bench.info.name} has no item ${itemId}.`, { file: bench.info.path, field: 'id' });
  return item;
}

export async function resolveSource(benches: BenchRegistry, source: ImageSource): Promise<ResolvedSource> {
  if (source.kind === 'path') {
    if (typeof source.path !== 'string' || source.path === '') throw new BadRequestError('Image path is empty.', { field: 'image.path' });
    return { input: { path: source.path } };
  }
  if (source.kind === 'bytes') {
    if (!(source.bytes instanceof Uint8Array)) throw new BadRequestError('Image bytes must be a Uint8Array.', { field: 'image.bytes' });
    return { input: { name: source.name || 'image', bytes: source.bytes } };
  }
  if (source.kind !== 'benchItem') throw new BadRequestError('Unknown image source kind.', { field: 'image.kind' });
  const item = await benchItem(benches, source.benchId, source.itemId);
  const name = item.imagePath ?? `${source.benchId}#${item.id}`;
  if (source.view === 'regional') {
    const crop = await item.readCrop();
    if (crop) return { input: { name: item.cropPath ?? `${name} (crop)`, bytes: crop }, item };
    if (!item.bbox) throw new BadRequestError(`Item ${item.id} has neither a crop image nor a box: no regional view.`, { field: 'bbox' });
    return { input: { name, bytes: await item.readImage() }, cutBox: item.bbox, item };
  }
  return { input: { name, bytes: await item.readImage() }, item };
}

export async function decodeSource(
  benches: BenchRegistry,
  source: ImageSource,
  protocol: PreprocessProtocol = 'hf',
): Promise<{ image: DecodedImage; item?: BenchItem }> {
  const r = await resolveSource(benches, source);
  const image = await decodeImage(r.input, { protocol });
  if (!r.cutBox) return r.item ? { image, item: r.item } : { image };
  const cut = (await cropImage(image, r.cutBox)).image;
  return r.item ? { image: cut, item: r.item } : { image: cut };
}

/** `images.get`: display bytes in the protocol's frame (oriented under hf, as stored under paper). */
export async function displaySource(
  benches: BenchRegistry,
  source: ImageSource,
  protocol: PreprocessProtocol = 'hf',
): Promise<{ mime: string; bytes: Uint8Array; width: number; height: number }> {
  const r = await resolveSource(benches, source);
  if (!r.cutBox) return encodeForDisplay(r.input, { protocol });
  // A crop-less item's regional view: cut the box, send it as PNG (lossless, the pixels the model saw).
  const { image } = await decodeSource(benches, source, protocol);
  const buf = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  return { mime: 'image/png', bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), width: image.width, height: image.height };
}

/**
 * `images.check`: a full decode under the protocol (truncated data fails here, not only a bad header),
 * then the aspect-ratio limit both processors enforce. Throws an InvalidImageError naming the file.
 */
export async function checkSource(benches: BenchRegistry, source: ImageSource, protocol: PreprocessProtocol): Promise<ImageCheck> {
  const { image } = await decodeSource(benches, source, protocol);
  checkAspect(image.height, image.width, image.name);
  return { name: image.name, width: image.width, height: image.height, warnings: image.warnings };
}
