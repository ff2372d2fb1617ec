// The batch runner's per-item call (batch/types.ts DualAnalyzer): analyse the requested views of one
// benchmark item. Global = the full image with the key box; regional = the bench's crop (or the box cut
// from the full image), with cropInFull set so its attention can be placed back. Each view needs only its
// own image: a broken `image` cell fails the global view and leaves a good `crop_image` to the regional
// one. Image errors name the row, the item id and the column.
import type { AnalysisResult, Box, DualAnalysisResult, PreprocessProtocol, View, ViewError } from '../../contract/types.js';
import type { DualInput, DualOutcome } from '../batch/types.js';
import { BadRequestError, CancelledError, InvalidImageError, throwIfAborted, toErrorPayload } from '../errors.js';
import { regionalInFull } from './regional-map.js';
import { cropImage, pixelRect } from '../image/crop.js';
import { decodeImage, type DecodedImage } from '../image/decode.js';
import type { AnyRuntime } from '../model/runtime.js';
import { settleChoice } from '../preprocess/protocol.js';
import { analyzeImage } from './analyze.js';
import { analyzeWithAnalyses } from './with-analyses.js';
import type { AnalysisHooks } from './stages.js';

export interface ViewsInput extends DualInput {
  /** Generic-prompt attention for relative coverage. Default true. */
  withGeneric?: boolean;
}

/** "row 10 (id 9), column image" (rows counted from 1, as a spreadsheet shows them). */
export function cellLabel(input: Pick<DualInput, 'itemId' | 'source'>, column: string): string {
  return `row ${input.source.row + 1} (id ${input.itemId}), column ${column}`;
}

/** Reads and decodes one image column; failures become an InvalidImageError that names row, id and column. */
async function readColumn(
  input: DualInput,
  read: () => Promise<Uint8Array>,
  column: string,
  protocol: PreprocessProtocol,
): Promise<DecodedImage> {
  const label = cellLabel(input, column);
  let bytes: Uint8Array;
  try {
    bytes = await read();
  } catch (err) {
    throw new InvalidImageError(`${label}: could not be read (${(err as Error).message})`, { field: column, cause: err });
  }
  try {
    return await decodeImage({ name: label, bytes }, { protocol });
  } catch (err) {
    if (!(err instanceof InvalidImageError)) throw err;
    // Named by row, id and column instead of the decoder's name for the bytes.
    throw new InvalidImageError(`${label}: ${err.problem}`, { field: column, cause: err, problem: err.problem });
  }
}

function isCancel(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError');
}

export async function analyzeViews(
  rt: AnyRuntime,
  input: ViewsInput,
  views: readonly View[],
  hooks: AnalysisHooks = {},
): Promise<DualOutcome> {
  const out: DualOutcome = {};
  const errors: Partial<Record<View, unknown>> = {};
  const preprocess = settleChoice(input.preprocess, rt.info.manifest);
  const base = { question: input.question, maxNewTokens: input.maxNewTokens, withGeneric: input.withGeneric ?? true, preprocess };
  const needFull = views.includes('global') || (views.includes('regional') && !input.readCrop);
  let full: DecodedImage | null = null;
  let fullError: unknown;
  if (needFull) {
    try {
      full = await readColumn(input, input.readImage, input.source.imageColumn, preprocess.protocol);
    } catch (err) {
      fullError = err;
    }
  }

  const run = async (view: View, fn: () => Promise<AnalysisResult>): Promise<void> => {
    try {
      out[view] = await fn();
    } catch (err) {
      if (isCancel(err)) throw err;
      errors[view] = err;
    }
    throwIfAborted(hooks.signal);
  };

  if (views.includes('global')) {
    await run('global', async () => {
      if (!full) throw fullError;
      // The opt-in analyses (self-zoom, faithfulness) belong to the global view: the key box is in its pixels.
      return analyzeWithAnalyses(
        rt,
        full,
        {
          ...base,
          ...(input.bbox ? { box: input.bbox } : {}),
          ...(input.selfZoom ? { selfZoom: input.selfZoom } : {}),
          ...(input.faithfulness ? { faithfulness: input.faithfulness } : {}),
          ...(input.activation ? { activation: input.activation } : {}),
        },
        hooks,
      );
    });
  }
  if (views.includes('regional')) {
    await run('regional', async () => {
      let crop: DecodedImage;
      let rect: Box | undefined;
      if (input.readCrop) {
        crop = await readColumn(input, input.readCrop, input.source.cropColumn ?? 'crop_image', preprocess.protocol);
        // The bench's crop is cut at the box (ZoomBench crop_image, our mini bench): place it there. Sizes
        // come from the full image when it was decoded; otherwise the box is trusted as given.
        if (input.bbox) rect = full ? pixelRect(input.bbox, full.width, full.height, full.name) : input.bbox;
      } else {
        if (!input.bbox) {
          throw new BadRequestError(
            `${cellLabel(input, 'bbox')}: the item has neither a crop image nor a box, so there is no regional view.`,
            {
              field: 'bbox',
            },
          );
        }
        if (!full) throw fullError;
        const cut = await cropImage(full, input.bbox);
        crop = cut.image;
        rect = cut.rect;
      }
      return analyzeImage(rt, crop, { ...base, ...(rect ? { cropInFull: rect } : {}) }, hooks);
    });
  }
  if (Object.keys(errors).length > 0) out.errors = errors;
  return out;
}

/**
 * The contract's DualAnalysisResult from analyzeViews' outcome: the views that ran, why the others did
 * not, and the regional attention placed back into the full image when both ran and the crop has a place.
 */
export function dualFromViews(out: DualOutcome): DualAnalysisResult {
  const result: DualAnalysisResult = {};
  if (out.global) result.global = out.global;
  if (out.regional) result.regional = out.regional;
  const rect = out.regional?.geometry.cropInFull;
  if (out.global && out.regional && rect) result.regionalInFull = regionalInFull(out.regional.attention, rect, out.global.geometry);
  if (out.errors) {
    const errors: Partial<Record<View, ViewError>> = {};
    for (const view of ['global', 'regional'] as const) {
      const err = out.errors[view];
      if (err === undefined) continue;
      const p = toErrorPayload(err);
      errors[view] = { message: p.message, ...(p.field ? { field: p.field } : {}) };
    }
    result.errors = errors;
  }
  return result;
}
