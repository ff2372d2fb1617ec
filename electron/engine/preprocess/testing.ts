// Test helpers: the PreprocessInfo a test double reports for a geometry (doubles never run the chain;
// results still carry the record), and the real checkpoints' processor settings the Python suites use.
import type { GridGeometry, PreprocessInfo, PreprocessProtocol } from '../../contract/types.js';
import { parseProcessorConfig, type ImageProcessorConfig } from './processor-config.js';

export function preprocessInfoDouble(g: GridGeometry, protocol: PreprocessProtocol = 'paper'): PreprocessInfo {
  const patch = g.tokenPx / 2;
  return {
    protocol,
    maxPixels: protocol === 'paper' ? 2048 * 2048 : g.resizedWidth * g.resizedHeight,
    sourceWidth: g.imageWidth,
    sourceHeight: g.imageHeight,
    resizedWidth: g.resizedWidth,
    resizedHeight: g.resizedHeight,
    gridThw: [1, g.resizedHeight / patch, g.resizedWidth / patch],
    warnings: [],
  };
}

/** The real checkpoints' settings, as conformance.py's FAMILIES states them. */
export const FAMILY_CONFIGS: Record<'qwen2_5_vl' | 'qwen3_vl', ImageProcessorConfig> = {
  qwen2_5_vl: parseProcessorConfig({
    patch_size: 14,
    min_pixels: 3136,
    max_pixels: 12845056,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
  }),
  qwen3_vl: parseProcessorConfig({ patch_size: 16, min_pixels: 65536, max_pixels: 16777216, image_mean: 0.5, image_std: 0.5 }),
};
