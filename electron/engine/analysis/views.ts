// The batch runner's per-item call (batch/types.ts DualAnalyzer): analyse the requested views of one
// benchmark item from its encoded bytes. Global = the full image with the key box; regional = the bench's
// crop (or the box cut from the full image), with cropInFull set so its attention can be placed back.
import type { AnalysisResult, Box, View } from '../../contract/types.js';
import { BadRequestError, throwIfAborted } from '../errors.js';
import { cropImage, pixelRect } from '../image/crop.js';
import { decodeImage } from '../image/decode.js';
import type { ModelRuntime } from '../model/runtime.js';
import { analyzeImage } from './analyze.js';
import type { AnalysisHooks } from './stages.js';

export interface ViewsInput {
  itemId: string;
  image: Uint8Array;
  crop?: Uint8Array;
  question: string;
  bbox?: Box;
  maxNewTokens: number;
  /** Generic-prompt attention for relative coverage. Default true. */
  withGeneric?: boolean;
}

export async function analyzeViews(rt: ModelRuntime, input: ViewsInput, views: readonly View[], hooks: AnalysisHooks = {}): Promise<Partial<Record<View, AnalysisResult>>> {
  const out: Partial<Record<View, AnalysisResult>> = {};
  const base = { question: input.question, maxNewTokens: input.maxNewTokens, withGeneric: input.withGeneric ?? true };
  const needFull = views.includes('global') || (views.includes('regional') && !input.crop);
  const full = needFull ? await decodeImage({ name: input.itemId, bytes: input.image }) : null;
  if (views.includes('global') && full) {
    out.global = await analyzeImage(rt, full, { ...base, ...(input.bbox ? { box: input.bbox } : {}) }, hooks);
    throwIfAborted(hooks.signal);
  }
  if (views.includes('regional')) {
    let crop;
    let rect: Box | undefined;
    if (input.crop) {
      crop = await decodeImage({ name: `${input.itemId} (crop)`, bytes: input.crop });
      // The bench's crop is cut at the box (ZoomBench crop_image, our mini bench): place it there. Sizes
      // come from the full image when it was decoded; otherwise the box is trusted as given.
      if (input.bbox) rect = full ? pixelRect(input.bbox, full.width, full.height, full.name) : input.bbox;
    } else {
      if (!input.bbox || !full) throw new BadRequestError(`Item ${input.itemId} has neither a crop image nor a box: no regional view.`, { field: 'bbox' });
      const cut = await cropImage(full, input.bbox);
      crop = cut.image;
      rect = cut.rect;
    }
    out.regional = await analyzeImage(rt, crop, { ...base, ...(rect ? { cropInFull: rect } : {}) }, hooks);
  }
  return out;
}
