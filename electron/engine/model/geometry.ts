// Grid geometry: how the merged token grid maps onto the original (oriented) image. The resize is
// transformers.js's own (smart_resize inside Qwen2VLImageProcessor); this only reads its results
// (reshaped_input_sizes, image_grid_thw) and checks that they agree with each other.
import type { Box, GridGeometry } from '../../contract/types.js';
import { InvalidModelError } from '../errors.js';

export interface ProcessorGeometryInput {
  imageWidth: number;
  imageHeight: number;
  /** [h, w] after smart_resize, as the processor reports it. */
  resized: [number, number];
  /** [t, h, w] in patches. */
  gridThw: [number, number, number];
  patchSize: number;
  mergeSize: number;
  cropInFull?: Box;
}

export function geometryFromProcessor(g: ProcessorGeometryInput): GridGeometry {
  const [, gh, gw] = g.gridThw;
  const tokenPx = g.patchSize * g.mergeSize;
  const [rh, rw] = g.resized;
  if (gh % g.mergeSize !== 0 || gw % g.mergeSize !== 0 || gh * g.patchSize !== rh || gw * g.patchSize !== rw) {
    throw new InvalidModelError(
      `The processor produced a ${gh}x${gw} patch grid for a ${rw}x${rh} resize with patch ${g.patchSize} and merge ${g.mergeSize}; they do not agree. Check patch_size and merge_size in preprocessor_config.json.`,
      { file: 'preprocessor_config.json', field: 'patch_size' },
    );
  }
  const geometry: GridGeometry = {
    imageWidth: g.imageWidth,
    imageHeight: g.imageHeight,
    resizedWidth: rw,
    resizedHeight: rh,
    gridH: gh / g.mergeSize,
    gridW: gw / g.mergeSize,
    tokenPx,
  };
  if (g.cropInFull) geometry.cropInFull = g.cropInFull;
  return geometry;
}

/** The rectangle of one cell in original pixels: [x1, y1, x2, y2] (the contract's GridGeometry rule). */
export function cellRect(geometry: GridGeometry, row: number, col: number): Box {
  const cw = geometry.imageWidth / geometry.gridW;
  const ch = geometry.imageHeight / geometry.gridH;
  return [col * cw, row * ch, (col + 1) * cw, (row + 1) * ch];
}
