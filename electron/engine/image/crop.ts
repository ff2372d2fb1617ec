// Cutting the regional view out of an already decoded (oriented) image.
import sharp from 'sharp';
import type { Box } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import type { DecodedImage } from './decode.js';

/**
 * The whole-pixel rectangle a box covers: edges rounded outwards so the crop contains the whole box,
 * then clamped to the image. Returned as a Box so it can go straight into GridGeometry.cropInFull.
 */
export function pixelRect(box: Box, width: number, height: number, name = 'image'): Box {
  const [x1, y1, x2, y2] = box;
  if (![x1, y1, x2, y2].every(Number.isFinite))
    throw new BadRequestError(`Box ${JSON.stringify(box)} has a non-numeric coordinate.`, { field: 'box' });
  const left = Math.max(0, Math.min(width - 1, Math.floor(Math.min(x1, x2))));
  const top = Math.max(0, Math.min(height - 1, Math.floor(Math.min(y1, y2))));
  const right = Math.max(left + 1, Math.min(width, Math.ceil(Math.max(x1, x2))));
  const bottom = Math.max(top + 1, Math.min(height, Math.ceil(Math.max(y1, y2))));
  if (Math.max(x1, x2) <= 0 || Math.max(y1, y2) <= 0 || Math.min(x1, x2) >= width || Math.min(y1, y2) >= height) {
    throw new BadRequestError(`Box ${JSON.stringify(box)} lies outside ${name} (${width}x${height}).`, { field: 'box', file: name });
  }
  return [left, top, right, bottom];
}

/** Crops a decoded image to a box (in its own pixels). The result is a new DecodedImage named after the source. */
export async function cropImage(image: DecodedImage, box: Box): Promise<{ image: DecodedImage; rect: Box }> {
  const rect = pixelRect(box, image.width, image.height, image.name);
  const [left, top, right, bottom] = rect;
  const { data, info } = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: right - left, height: bottom - top })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    image: {
      name: `${image.name} [crop ${left},${top},${right},${bottom}]`,
      width: info.width,
      height: info.height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      orientation: 1,
      protocol: image.protocol,
      warnings: image.warnings,
    },
    rect,
  };
}
