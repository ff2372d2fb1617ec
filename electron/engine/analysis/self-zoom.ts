// Self-zoom diagnosis (docs/metrics.md): crop around the peak of the model's own attention, the way
// attention-guided cropping does in "MLLMs Know Where to Look" (ViCrop), and ask the same question on the
// crop alone. The crop goes through the engine's normal image path (cropImage -> analyzeImage), so the
// second pass is prepared exactly like any other image.
import {
  DEFAULT_CROP,
  SELF_ZOOM_INPUTS,
  type CropRuleSpec,
  type SelfZoomInput,
  type SelfZoomOptions,
  type SelfZoomResult,
} from '../../contract/analyses.js';
import type { AnalysisResult } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { cropImage } from '../image/crop.js';
import type { DecodedImage } from '../image/decode.js';
import { boxIoU, centreInside, selfZoomCrop } from '../metrics/index.js';
import type { AnyRuntime } from '../model/runtime.js';
import { analyzeImage, DEFAULT_MAX_NEW_TOKENS } from './analyze.js';
import { answerOnImages } from './multi-image.js';
import { chooseMap } from './map-choice.js';
import { now, type AnalysisHooks } from './stages.js';

function checkCrop(rule: CropRuleSpec): CropRuleSpec {
  if (typeof rule !== 'object' || rule === null)
    throw new BadRequestError('selfZoom.crop must be {mode: "fixed", fraction} or {mode: "adaptive", baseSide}.', {
      field: 'selfZoom.crop',
    });
  if (rule.mode === 'fixed') {
    if (!(rule.fraction > 0 && rule.fraction <= 1))
      throw new BadRequestError(`selfZoom.crop.fraction must be in (0, 1]; got ${rule.fraction}.`, { field: 'selfZoom.crop.fraction' });
    return { mode: 'fixed', fraction: rule.fraction };
  }
  if (rule.mode === 'adaptive') {
    if (!(rule.baseSide > 0))
      throw new BadRequestError(`selfZoom.crop.baseSide must be a positive number of pixels; got ${rule.baseSide}.`, {
        field: 'selfZoom.crop.baseSide',
      });
    if (rule.ratios !== undefined && (rule.ratios.length === 0 || rule.ratios.some((r) => !(r > 0))))
      throw new BadRequestError(`selfZoom.crop.ratios must be positive numbers; got ${JSON.stringify(rule.ratios)}.`, {
        field: 'selfZoom.crop.ratios',
      });
    return rule.ratios
      ? { mode: 'adaptive', baseSide: rule.baseSide, ratios: [...rule.ratios] }
      : { mode: 'adaptive', baseSide: rule.baseSide };
  }
  throw new BadRequestError(`selfZoom.crop.mode must be "fixed" or "adaptive".`, { field: 'selfZoom.crop.mode' });
}

export function checkInput(input: unknown): SelfZoomInput {
  if (input === undefined) return 'crop';
  if (typeof input === 'string' && (SELF_ZOOM_INPUTS as readonly string[]).includes(input)) return input as SelfZoomInput;
  throw new BadRequestError(`selfZoom.input must be ${SELF_ZOOM_INPUTS.map((i) => `"${i}"`).join(' or ')}; got ${JSON.stringify(input)}.`, {
    field: 'selfZoom.input',
  });
}

export interface SelfZoomRequest {
  question: string;
  maxNewTokens?: number;
}

export async function runSelfZoom(
  rt: AnyRuntime,
  image: DecodedImage,
  base: AnalysisResult,
  options: SelfZoomOptions,
  req: SelfZoomRequest,
  hooks: AnalysisHooks = {},
): Promise<SelfZoomResult> {
  const chosen = chooseMap(base, options, rt.info.defaultLayer, 'selfZoom');
  const rule = checkCrop(options.crop ?? DEFAULT_CROP);
  const input = checkInput(options.input);
  const g = base.geometry;
  const crop = selfZoomCrop(chosen.map, g, g, rule);
  const t = now();
  const cut = await cropImage(image, crop.box);
  const preprocess = base.preprocess.userMaxPixels !== undefined ? { preprocess: { maxPixels: base.preprocess.userMaxPixels } } : {};
  const signal = hooks.signal ? { signal: hooks.signal } : {};
  let second: { answer: string; tokens: SelfZoomResult['tokens']; geometry: SelfZoomResult['geometry'] };
  if (input === 'crop+full') {
    // ViCrop's input: the full image first, the crop second, one turn; the crop's grid is the second image's.
    const both = await answerOnImages(
      rt,
      [image, cut.image],
      { question: req.question, maxNewTokens: req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS, ...preprocess },
      signal,
    );
    second = { answer: both.answer, tokens: both.tokens, geometry: { ...both.geometries[1], cropInFull: cut.rect } };
  } else {
    second = await analyzeImage(
      rt,
      cut.image,
      {
        question: req.question,
        withGeneric: false,
        cropInFull: cut.rect,
        ...(req.maxNewTokens !== undefined ? { maxNewTokens: req.maxNewTokens } : {}),
        ...preprocess,
      },
      signal,
    );
  }
  const result: SelfZoomResult = {
    layers: chosen.layers,
    relative: chosen.relative,
    rule,
    input,
    box: cut.rect,
    window: crop.window,
    windowMass: crop.windowMass,
    answer: second.answer,
    tokens: second.tokens,
    geometry: second.geometry,
    ms: now() - t,
  };
  if (base.box) {
    result.iou = boxIoU(cut.rect, base.box);
    result.centreInside = centreInside(base.box, cut.rect);
  }
  return result;
}
