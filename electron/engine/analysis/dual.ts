// Dual view (issue §4): the same question on the full image (global) and on the key region (regional:
// the benchmark's crop_image, or a crop cut from the box), with the regional attention mapped back into
// full-image coordinates.
import type { Box, DualAnalysisResult } from '../../contract/types.js';
import { BadRequestError, throwIfAborted } from '../errors.js';
import { cropImage, pixelRect } from '../image/crop.js';
import type { DecodedImage } from '../image/decode.js';
import type { AnyRuntime } from '../model/runtime.js';
import { analyzeImage, type AnalyzeImageRequest } from './analyze.js';
import { analyzeWithAnalyses, type AnalysesRequest } from './with-analyses.js';
import { regionalInFull } from './regional-map.js';
import { now, type AnalysisHooks } from './stages.js';

export interface DualImageRequest extends Omit<AnalyzeImageRequest, 'cropInFull'>, AnalysesRequest {
  box?: Box;
}

/**
 * `crop`, when given, is the benchmark's own crop of `box` (ZoomBench's crop_image; the mini bench cuts it
 * exactly at the box); otherwise the crop is cut here, at the box rounded outwards to whole pixels.
 */
export async function analyzeDualImages(
  rt: AnyRuntime,
  full: DecodedImage,
  req: DualImageRequest,
  crop: DecodedImage | null,
  hooks: AnalysisHooks = {},
): Promise<Required<Pick<DualAnalysisResult, 'global' | 'regional' | 'regionalInFull'>>> {
  if (!req.box)
    throw new BadRequestError('The dual view needs the key box: the regional attention is placed back into the full image through it.', {
      field: 'box',
    });
  const rect = pixelRect(req.box, full.width, full.height, full.name);
  let regionalImage = crop;
  if (!regionalImage) regionalImage = (await cropImage(full, req.box)).image;
  // The opt-in analyses belong to the global view (the key box is in its pixels).
  const global = await analyzeWithAnalyses(rt, full, req, hooks);
  throwIfAborted(hooks.signal);
  // No box on the regional run: the key region is the whole crop.
  const { box: _box, selfZoom: _sz, faithfulness: _f, activation: _a, ...rest } = req;
  const regional = await analyzeImage(rt, regionalImage, { ...rest, cropInFull: rect }, hooks);
  const t = now();
  const mapped = regionalInFull(regional.attention, rect, global.geometry);
  regional.timings.metricsMs += now() - t;
  return { global, regional, regionalInFull: mapped };
}
