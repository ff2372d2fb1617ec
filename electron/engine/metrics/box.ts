// Box validation shared by every metric. One rule for the whole app, so that paper-compatible and
// area-exact numbers always describe the same region:
//  - every coordinate must be a finite number and the box must not be inverted (x2 >= x1, y2 >= y1);
//  - a box that pokes out of the image is CLIPPED to [0, W] x [0, H]. In paper-compatible mode this
//    changes nothing (the paper clamps the cell indices, and clamping a clipped coordinate gives the
//    same cell, see docs/metrics.md), so clipping is safe for both modes;
//  - a box lying entirely outside the image is REJECTED: the paper's clamping would silently score
//    an edge cell the box never touched.
// Zero-width or zero-height boxes inside the image are accepted (the paper widens them to two cells;
// their exact area is 0).
import type { Box } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';

export interface ImageSize {
  imageWidth: number;
  imageHeight: number;
}

export function clipBox(box: Box, size: ImageSize): Box {
  if (!Array.isArray(box) || box.length !== 4) {
    throw new BadRequestError(`A box must be [x1, y1, x2, y2]; got ${JSON.stringify(box)}.`, { field: 'bbox' });
  }
  const [x1, y1, x2, y2] = box;
  if (![x1, y1, x2, y2].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new BadRequestError(`Box coordinates must be finite numbers; got ${JSON.stringify(box)}.`, { field: 'bbox' });
  }
  if (x2 < x1 || y2 < y1) {
    throw new BadRequestError(`Box ${JSON.stringify(box)} is inverted: it needs x2 >= x1 and y2 >= y1 ([x1, y1, x2, y2] order).`, {
      field: 'bbox',
    });
  }
  const { imageWidth: w, imageHeight: h } = size;
  if (!(w > 0 && h > 0)) {
    throw new BadRequestError(`Image size must be positive; got ${w}x${h}.`, { field: 'geometry' });
  }
  if (x1 > w || y1 > h || x2 < 0 || y2 < 0) {
    throw new BadRequestError(`Box ${JSON.stringify(box)} lies entirely outside the ${w}x${h} image; boxes are in original-image pixels.`, {
      field: 'bbox',
    });
  }
  return [Math.max(0, x1), Math.max(0, y1), Math.min(w, x2), Math.min(h, y2)];
}

/** Share of the image area inside the (clipped) box, in [0, 1]. */
export function boxAreaShare(box: Box, size: ImageSize): number {
  const [x1, y1, x2, y2] = clipBox(box, size);
  return ((x2 - x1) * (y2 - y1)) / (size.imageWidth * size.imageHeight);
}
