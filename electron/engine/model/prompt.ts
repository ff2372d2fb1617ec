// Prompt and image preparation: the chat template and tokenizer are transformers.js's (user turn = one
// image, then the question; generation prompt appended); the image path is Loupe's own (preprocess/), the
// chosen protocol's exact chain, and <|image_pad|> is expanded to the visual-token count as
// Qwen2VLProcessor._call does.
import type { GridGeometry, PreprocessChoice, PreprocessInfo } from '../../contract/types.js';
import { InvalidModelError } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { preprocessImage } from '../preprocess/pipeline.js';
import { geometryFromProcessor } from './geometry.js';
import type { ModelRuntime } from './runtime.js';
import { Tensor, type ChatMessage } from './transformers.js';

/** Zhang et al.'s generic prompt for relative attention (docs/reference.md §3). */
export const GENERIC_PROMPT = 'Write a general description of the image.';
const IMAGE_PAD = '<|image_pad|>';

export interface PreparedImage {
  pixelValues: Tensor;
  imageGridThw: Tensor;
  geometry: GridGeometry;
  /** Visual tokens the decoder sees: grid_t * grid_h * grid_w / merge^2. */
  numVisualTokens: number;
  preprocess: PreprocessInfo;
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

/** The image through its protocol's chain, then the question's prompt with the image tokens expanded. */
export function prepareQuestion(
  rt: ModelRuntime,
  image: DecodedImage,
  question: string,
  cropInFull?: GridGeometry['cropInFull'],
  choice: PreprocessChoice = {},
): { image: PreparedImage; prompt: PreparedPrompt } {
  const cfg = rt.imageConfig;
  // The engine's pixel budget (LOUPE_MAX_PIXELS) where the request names none, as the PyTorch engine does.
  const effective = choice.maxPixels === undefined && rt.maxPixels !== undefined ? { ...choice, maxPixels: rt.maxPixels } : choice;
  const { pixels, info } = preprocessImage(image, cfg, effective);
  const thw = pixels.gridThw;
  const geometry = geometryFromProcessor({
    imageWidth: image.width,
    imageHeight: image.height,
    resized: [info.resizedHeight, info.resizedWidth],
    gridThw: thw,
    patchSize: cfg.patchSize,
    mergeSize: cfg.mergeSize,
    ...(cropInFull ? { cropInFull } : {}),
  });
  const prepared: PreparedImage = {
    pixelValues: new Tensor('float32', pixels.data, pixels.dims),
    imageGridThw: new Tensor(
      'int64',
      BigInt64Array.from(thw, (x) => BigInt(x)),
      [1, 3],
    ),
    geometry,
    numVisualTokens: (thw[0] * thw[1] * thw[2]) / (cfg.mergeSize * cfg.mergeSize),
    preprocess: info,
  };
  return { image: prepared, prompt: prepareTextFor(rt, prepared, question) };
}

/**
 * A second prompt over an image already processed (the generic prompt): the pixels and vision features are
 * reused, so only the text is tokenised, with <|image_pad|> expanded to the visual-token count exactly as
 * Qwen2VLProcessor._call does it.
 */
export function prepareTextFor(rt: ModelRuntime, image: Pick<PreparedImage, 'numVisualTokens'>, question: string): PreparedPrompt {
  const text = renderPrompt(rt, question);
  const expanded = text.split(IMAGE_PAD).join(IMAGE_PAD.repeat(image.numVisualTokens));
  const { input_ids, attention_mask } = rt.processor.tokenizer(expanded);
  const span = visualSpan(rt, input_ids);
  checkSpan(span, image.numVisualTokens);
  return { prompt: text, inputIds: input_ids, attentionMask: attention_mask, ...span };
}
