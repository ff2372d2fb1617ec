// A greedy answer to one question over several images in the same user turn (ViCrop's self-zoom input:
// the full image, then the crop). Each image goes through its own protocol chain and its own vision pass —
// Qwen-VL vision towers attend within one image only (cu_seqlens blocks), so encoding them one by one
// gives the features the processor's batched call gives — and the features are concatenated in prompt
// order, as the masked scatter of `<|image_pad|>` positions expects. Only the answer is kept: the
// attention maps of a multi-image prompt are not analysed.
import type { AnswerToken, GridGeometry, PreprocessChoice } from '../../contract/types.js';
import { BadRequestError, InvalidModelError, throwIfAborted } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { DecoderStepper } from '../model/decoder.js';
import { prepareQuestion, visualSpan, type PreparedImage } from '../model/prompt.js';
import type { AnyRuntime, ModelRuntime } from '../model/runtime.js';
import { argmax, softmaxAt } from '../model/tensors.js';
import { Tensor, type ChatMessage } from '../model/transformers.js';
import { answerImagesTorch } from '../torch/answer-images.js';
import { encodeVision, type VisionFeatures } from '../model/vision.js';
import { prefillPrompt } from './analyze.js';
import type { AnalysisHooks } from './stages.js';
import ort from 'onnxruntime-node';

const IMAGE_PAD = '<|image_pad|>';

export interface ImagesAnswer {
  prompt: string;
  answer: string;
  tokens: AnswerToken[];
  /** Visual tokens of each image, in prompt order. */
  visualTokens: number[];
  /** Each image's grid as this prompt prepared it, in prompt order. */
  geometries: GridGeometry[];
}

export interface AnswerImagesRequest {
  question: string;
  maxNewTokens: number;
  preprocess?: PreprocessChoice;
}

function concatTyped<T extends Float32Array | Uint16Array>(parts: T[]): T {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const Ctor = parts[0].constructor as new (n: number) => T;
  const out = new Ctor(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** image_features rows of every image, one after the other ([sum tokens, hidden]). */
function concatFeatures(all: VisionFeatures[]): VisionFeatures {
  const feats = all.map((v) => v.features);
  const hidden = Number(feats[0].dims[1]);
  const rows = feats.reduce((n, f) => n + Number(f.dims[0]), 0);
  const data = concatTyped(feats.map((f) => f.data as Float32Array | Uint16Array));
  const out: VisionFeatures = { features: new Tensor(feats[0].type as 'float32', data as Float32Array, [rows, hidden]) };
  const deep = all.map((v) => v.deepstack);
  if (deep.every((d): d is ort.Tensor => d !== undefined)) {
    // [k, tokens, hidden] per image -> [k, sum tokens, hidden]: interleave per deepstack layer.
    const [k, , h] = deep[0].dims.map(Number);
    const total = deep.reduce((n, d) => n + Number(d.dims[1]), 0);
    const parts: (Float32Array | Uint16Array)[] = [];
    for (let layer = 0; layer < k; layer++)
      for (const d of deep) {
        const t = Number(d.dims[1]);
        parts.push((d.data as Float32Array | Uint16Array).subarray(layer * t * h, (layer + 1) * t * h));
      }
    out.deepstack = new ort.Tensor(deep[0].type as 'float32', concatTyped(parts) as Float32Array, [k, total, h]);
  }
  return out;
}

function renderImagesPrompt(rt: ModelRuntime, count: number, question: string): string {
  const content: ({ type: 'image' } | { type: 'text'; text: string })[] = Array.from({ length: count }, () => ({ type: 'image' as const }));
  content.push({ type: 'text', text: question });
  const messages: ChatMessage[] = [{ role: 'user', content }];
  const options: { add_generation_prompt: boolean; chat_template?: string } = { add_generation_prompt: true };
  if (rt.chatTemplate !== undefined) options.chat_template = rt.chatTemplate;
  return rt.processor.apply_chat_template(messages, options);
}

async function answerImagesOnnx(
  rt: ModelRuntime,
  images: readonly DecodedImage[],
  req: AnswerImagesRequest,
  hooks: AnalysisHooks,
): Promise<ImagesAnswer> {
  const prepared: PreparedImage[] = images.map((im) => prepareQuestion(rt, im, req.question, undefined, req.preprocess).image);
  const text = renderImagesPrompt(rt, images.length, req.question);
  const pieces = text.split(IMAGE_PAD);
  if (pieces.length !== images.length + 1)
    throw new InvalidModelError(`The chat template gave ${pieces.length - 1} image placeholders for ${images.length} images.`, {
      field: 'chat_template',
    });
  // Qwen2VLProcessor._call: the i-th <|image_pad|> becomes the i-th image's visual-token count.
  const expanded = pieces.reduce((acc, piece, i) => acc + IMAGE_PAD.repeat(prepared[i - 1].numVisualTokens) + piece);
  const { input_ids: inputIds, attention_mask: attentionMask } = rt.processor.tokenizer(expanded);
  const features: VisionFeatures[] = [];
  for (const p of prepared) {
    features.push(await encodeVision(rt, p));
    throwIfAborted(hooks.signal);
  }
  const grid = new Tensor('int64', BigInt64Array.from(prepared.flatMap((p) => Array.from(p.imageGridThw.data as BigInt64Array))), [
    prepared.length,
    3,
  ]);
  const span = visualSpan(rt, inputIds); // the first image's span: checks the template has the vision tokens
  const stepper = new DecoderStepper(rt);
  let last = await prefillPrompt(rt, stepper, { ...prepared[0], imageGridThw: grid }, concatFeatures(features), {
    prompt: text,
    inputIds,
    attentionMask,
    ...span,
  });
  const tokens: AnswerToken[] = [];
  const eos = new Set(rt.spec.eosTokenIds);
  for (let i = 0; i < req.maxNewTokens; i++) {
    throwIfAborted(hooks.signal);
    const id = argmax(last.logits);
    if (eos.has(id)) break;
    tokens.push({ id, text: rt.processor.tokenizer.decode([id], { skip_special_tokens: false }), prob: softmaxAt(last.logits, id) });
    if (i === req.maxNewTokens - 1) break;
    const embed = await rt.model.encode_text({ input_ids: new Tensor('int64', BigInt64Array.from([BigInt(id)]), [1, 1]) });
    last = await stepper.step(embed);
  }
  const answer =
    tokens.length > 0
      ? rt.processor.tokenizer.decode(
          tokens.map((x) => x.id),
          { skip_special_tokens: true },
        )
      : '';
  return {
    prompt: text,
    answer,
    tokens,
    visualTokens: prepared.map((p) => p.numVisualTokens),
    geometries: prepared.map((p) => p.geometry),
  };
}

/** The greedy answer to `question` over `images` (in this order) on either engine. */
export async function answerOnImages(
  rt: AnyRuntime,
  images: readonly DecodedImage[],
  req: AnswerImagesRequest,
  hooks: AnalysisHooks = {},
): Promise<ImagesAnswer> {
  if (images.length === 0) throw new BadRequestError('A multi-image question needs at least one image.', { field: 'images' });
  if (rt.kind === 'torch') return answerImagesTorch(rt, images, req, hooks);
  return answerImagesOnnx(rt, images, req, hooks);
}
