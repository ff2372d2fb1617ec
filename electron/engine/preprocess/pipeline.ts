// The two preprocessing protocols end to end, from decoded RGB to the vision encoder's pixel_values and
// image_grid_thw (the Python statement of each is native-models/loupe_preprocess/chains.py):
//   paper: qwen_vl_utils 0.0.14 fetch_image (smart_resize at factor 28 with max_pixels 2048*1024, PIL
//          bicubic), then the checkpoint's processor loaded with max_pixels 2048*2048 (its own smart_resize
//          and bicubic resize: a no-op when the first resize already fits, a second resize for Qwen3-VL's
//          factor 32);
//   hf:    the checkpoint's processor with its own min/max pixels.
// A user's lower budget caps the processor's max pixels under either.
import type { PreprocessChoice, PreprocessInfo, PreprocessProtocol } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { patchify, type PatchedPixels } from './patchify.js';
import type { ImageProcessorConfig } from './processor-config.js';
import { resizeBicubicRgb } from './resample.js';
import { smartResizeHf, smartResizeQwenVlUtils } from './smart-resize.js';

/** qwen_vl_utils' patch size default (the paper's scripts never pass another, not even for Qwen3-VL). */
export const QWEN_VL_UTILS_PATCH = 14;
const QWEN_VL_UTILS_MERGE = 2;
const IMAGE_MIN_TOKEN_NUM = 4;
/** The `max_pixels` in each chat message's image entry of the paper's scripts. */
export const PAPER_FETCH_MAX_PIXELS = 2048 * 1024;
/** AutoProcessor.from_pretrained(..., max_pixels=2048*2048) in the paper's scripts. */
export const PAPER_PROCESSOR_MAX_PIXELS = 2048 * 2048;
export const DEFAULT_PROTOCOL: PreprocessProtocol = 'paper';

export interface PreprocessedImage {
  pixels: PatchedPixels;
  info: PreprocessInfo;
}

/** Refuses a pixel budget that is not a positive integer, naming the field. */
export function checkChoice(choice: PreprocessChoice | undefined): void {
  if (!choice) return;
  if (choice.protocol !== undefined && choice.protocol !== 'paper' && choice.protocol !== 'hf') {
    throw new BadRequestError(`protocol must be "paper" or "hf"; got ${JSON.stringify(choice.protocol)}.`, { field: 'protocol' });
  }
  const m = choice.maxPixels;
  if (m !== undefined && (!Number.isInteger(m) || m < 1)) {
    throw new BadRequestError(`maxPixels must be a positive integer (pixels, e.g. 1003520 for 1280 visual tokens of 28 px); got ${m}.`, {
      field: 'maxPixels',
    });
  }
}

/** The processor's {shortest_edge, longest_edge} under a protocol (chains.processor_size_for). */
export function processorSize(
  protocol: PreprocessProtocol,
  cfg: ImageProcessorConfig,
  userMaxPixels?: number,
): { minPixels: number; maxPixels: number } {
  let longest = protocol === 'paper' ? PAPER_PROCESSOR_MAX_PIXELS : cfg.maxPixels;
  if (userMaxPixels !== undefined) longest = Math.min(longest, userMaxPixels);
  return { minPixels: Math.min(cfg.minPixels, longest), maxPixels: longest };
}

/** The chain's resizes (fetch_image's under paper, then the processor's): 8-bit RGB at the encoder's size. */
export interface ResizedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  info: Omit<PreprocessInfo, 'gridThw'>;
}

export function resizeForProtocol(image: DecodedImage, cfg: ImageProcessorConfig, choice: PreprocessChoice = {}): ResizedImage {
  checkChoice(choice);
  const protocol = image.protocol;
  if (choice.protocol !== undefined && choice.protocol !== protocol) {
    throw new BadRequestError(`${image.name} was decoded for the ${protocol} protocol but ${choice.protocol} was asked for.`, {
      field: 'protocol',
    });
  }
  let rgb = image.rgb;
  let w = image.width;
  let h = image.height;
  const info: Pick<PreprocessInfo, 'fetchWidth' | 'fetchHeight'> = {};
  if (protocol === 'paper') {
    const factor = QWEN_VL_UTILS_PATCH * QWEN_VL_UTILS_MERGE;
    const t = smartResizeQwenVlUtils(h, w, factor, IMAGE_MIN_TOKEN_NUM * factor * factor, PAPER_FETCH_MAX_PIXELS, image.name);
    rgb = resizeBicubicRgb(rgb, w, h, t.width, t.height);
    w = t.width;
    h = t.height;
    info.fetchWidth = w;
    info.fetchHeight = h;
  }
  const size = processorSize(protocol, cfg, choice.maxPixels);
  if (cfg.doResize) {
    const t = smartResizeHf(h, w, cfg.patchSize * cfg.mergeSize, size.minPixels, size.maxPixels, image.name);
    rgb = resizeBicubicRgb(rgb, w, h, t.width, t.height);
    w = t.width;
    h = t.height;
  }
  return {
    rgb,
    width: w,
    height: h,
    info: {
      protocol,
      maxPixels: size.maxPixels,
      ...(choice.maxPixels !== undefined ? { userMaxPixels: choice.maxPixels } : {}),
      sourceWidth: image.width,
      sourceHeight: image.height,
      ...info,
      resizedWidth: w,
      resizedHeight: h,
      warnings: [...image.warnings],
    },
  };
}

export function preprocessImage(image: DecodedImage, cfg: ImageProcessorConfig, choice: PreprocessChoice = {}): PreprocessedImage {
  const r = resizeForProtocol(image, cfg, choice);
  const pixels = patchify(r.rgb, r.width, r.height, cfg);
  return { pixels, info: { ...r.info, gridThw: pixels.gridThw } };
}
