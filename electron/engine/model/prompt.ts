// Prompt and image preparation with transformers.js: chat template (user turn = one image, then the
// question; generation prompt appended), Qwen2VLProcessor for pixels, image_grid_thw and input ids.
import type { GridGeometry } from '../../contract/types.js';
import { InvalidImageError, InvalidModelError } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { geometryFromProcessor } from './geometry.js';
import type { ModelRuntime } from './runtime.js';
import { RawImage, type ChatMessage, type Tensor } from './transformers.js';

/** Zhang et al.'s generic prompt for relative attention (docs/reference.md §3). */
export const GENERIC_PROMPT = 'Write a general description of the image.';
const IMAGE_PAD = '<|image_pad|>';

export interface PreparedImage {
  pixelValues: Tensor;
  imageGridThw: Tensor;
  geometry: GridGeometry;
  /** Visual tokens the decoder sees: grid_t * grid_h * grid_w / merge^2. */
  numVisualTokens: number;
}

export interface PreparedPrompt {
  /** The templated text (with a single <|image_pad|>, before expansion). */
  prompt: string;
  inputIds: Tensor;
  attentionMask: Tensor;
  /** Index of the first visual token (right after <|vision_start|>) and the count up to <|vision_end|>. */
  visualStart: number;
  visualCount: number;
}

export function renderPrompt(rt: ModelRuntime, question: string): string {
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
  const options: { add_generation_prompt: boolean; chat_template?: string } = { add_generation_prompt: true };
  if (rt.chatTemplate !== undefined) options.chat_template = rt.chatTemplate;
  return rt.processor.apply_chat_template(messages, options);
}

function idsOf(t: Tensor): number[] {
  return Array.from(t.data as BigInt64Array, (x) => Number(x));
}

/** Positions strictly between <|vision_start|> and <|vision_end|> (docs/reference.md §2). */
export function visualSpan(rt: ModelRuntime, inputIds: Tensor): { visualStart: number; visualCount: number } {
  const ids = idsOf(inputIds);
  const start = ids.indexOf(rt.spec.visionStartTokenId);
  const end = start < 0 ? -1 : ids.indexOf(rt.spec.visionEndTokenId, start + 1);
  if (start < 0 || end < 0) {
    throw new InvalidModelError(
      'The prompt has no <|vision_start|> ... <|vision_end|> span: check vision_start_token_id / vision_end_token_id against the tokenizer.',
      {
        file: 'config.json',
        field: start < 0 ? 'vision_start_token_id' : 'vision_end_token_id',
      },
    );
  }
  return { visualStart: start + 1, visualCount: end - start - 1 };
}

function checkSpan(span: { visualCount: number }, expected: number): void {
  if (span.visualCount !== expected) {
    throw new InvalidModelError(
      `The prompt holds ${span.visualCount} visual tokens but the image gives ${expected}: image_token_id or merge_size disagree with the tokenizer.`,
      {
        file: 'config.json',
        field: 'image_token_id',
      },
    );
  }
}

/** Runs the processor on the image and the question prompt together (the canonical transformers.js path). */
export async function prepareQuestion(
  rt: ModelRuntime,
  image: DecodedImage,
  question: string,
  cropInFull?: GridGeometry['cropInFull'],
): Promise<{ image: PreparedImage; prompt: PreparedPrompt }> {
  const raw = new RawImage(image.rgb, image.width, image.height, 3);
  const text = renderPrompt(rt, question);
  let out;
  try {
    out = await rt.processor(text, raw);
  } catch (err) {
    // e.g. smart_resize refuses aspect ratios over 200:1.
    throw new InvalidImageError(
      `${image.name} (${image.width}x${image.height}) cannot be prepared for this model: ${(err as Error).message}`,
      { file: image.name, cause: err },
    );
  }
  const thw = Array.from(out.image_grid_thw.data as BigInt64Array, (x) => Number(x)) as [number, number, number];
  const merge = Number(rt.processor.image_processor.config['merge_size'] ?? rt.spec.spatialMergeSize);
  const patch = Number(rt.processor.image_processor.config['patch_size'] ?? rt.spec.patchSize);
  const geometry = geometryFromProcessor({
    imageWidth: image.width,
    imageHeight: image.height,
    resized: out.reshaped_input_sizes[0],
    gridThw: thw,
    patchSize: patch,
    mergeSize: merge,
    ...(cropInFull ? { cropInFull } : {}),
  });
  const numVisualTokens = (thw[0] * thw[1] * thw[2]) / (merge * merge);
  const span = visualSpan(rt, out.input_ids);
  checkSpan(span, numVisualTokens);
  return {
    image: { pixelValues: out.pixel_values, imageGridThw: out.image_grid_thw, geometry, numVisualTokens },
    prompt: { prompt: text, inputIds: out.input_ids, attentionMask: out.attention_mask, ...span },
  };
}

/**
 * A second prompt over an image already processed (the generic prompt): the pixels and vision features are
 * reused, so only the text is tokenised, with <|image_pad|> expanded to the visual-token count exactly as
 * Qwen2VLProcessor._call does it.
 */
export function prepareTextFor(rt: ModelRuntime, image: PreparedImage, question: string): PreparedPrompt {
  const text = renderPrompt(rt, question);
  const expanded = text.split(IMAGE_PAD).join(IMAGE_PAD.repeat(image.numVisualTokens));
  const { input_ids, attention_mask } = rt.processor.tokenizer(expanded);
  const span = visualSpan(rt, input_ids);
  checkSpan(span, image.numVisualTokens);
  return { prompt: text, inputIds: input_ids, attentionMask: attention_mask, ...span };
}
