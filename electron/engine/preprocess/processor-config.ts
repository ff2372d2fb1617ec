// The image processor's settings, read from a package's preprocessor_config.json the way transformers'
// Qwen2VLImageProcessor reads them: `min_pixels` / `max_pixels` override `size.shortest_edge` /
// `size.longest_edge`, and absent fields take the class defaults.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidModelError } from '../errors.js';

export interface ImageProcessorConfig {
  patchSize: number;
  mergeSize: number;
  temporalPatchSize: number;
  minPixels: number;
  maxPixels: number;
  doResize: boolean;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
}

const OPENAI_CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

function num(raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidModelError(`preprocessor_config.json: ${key} must be a positive number; got ${JSON.stringify(v)}.`, {
      file: 'preprocessor_config.json',
      field: key,
    });
  }
  return v;
}

function triple(raw: Record<string, unknown>, key: string, fallback: [number, number, number]): [number, number, number] {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number, v[2] as number];
  throw new InvalidModelError(`preprocessor_config.json: ${key} must be three numbers (R, G, B); got ${JSON.stringify(v)}.`, {
    file: 'preprocessor_config.json',
    field: key,
  });
}

export function parseProcessorConfig(raw: Record<string, unknown>): ImageProcessorConfig {
  const size = (typeof raw['size'] === 'object' && raw['size'] !== null ? raw['size'] : {}) as Record<string, unknown>;
  const minDefault = num(size, 'shortest_edge', 56 * 56);
  const maxDefault = num(size, 'longest_edge', 28 * 28 * 1280);
  return {
    patchSize: num(raw, 'patch_size', 14),
    mergeSize: num(raw, 'merge_size', 2),
    temporalPatchSize: num(raw, 'temporal_patch_size', 2),
    minPixels: num(raw, 'min_pixels', minDefault),
    maxPixels: num(raw, 'max_pixels', maxDefault),
    doResize: raw['do_resize'] !== false,
    doRescale: raw['do_rescale'] !== false,
    rescaleFactor: num(raw, 'rescale_factor', 1 / 255),
    doNormalize: raw['do_normalize'] !== false,
    imageMean: triple(raw, 'image_mean', OPENAI_CLIP_MEAN),
    imageStd: triple(raw, 'image_std', OPENAI_CLIP_STD),
  };
}

export async function readProcessorConfig(dir: string): Promise<ImageProcessorConfig> {
  const file = join(dir, 'preprocessor_config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InvalidModelError(`${file} could not be read: ${(err as Error).message}`, { file: 'preprocessor_config.json', cause: err });
  }
  if (typeof raw !== 'object' || raw === null) {
    throw new InvalidModelError(`${file} is not a JSON object.`, { file: 'preprocessor_config.json' });
  }
  return parseProcessorConfig(raw as Record<string, unknown>);
}
