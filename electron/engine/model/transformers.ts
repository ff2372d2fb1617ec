// The one place that touches @huggingface/transformers: configures its environment (local files only) and
// narrows the pieces the engine uses (processor, tokenizer, Qwen-VL model classes) to typed interfaces, so
// the rest of the engine never sees its loosely typed JS surface.
import {
  AutoConfig,
  AutoProcessor,
  Qwen2VLForConditionalGeneration,
  Qwen2_5_VLForConditionalGeneration,
  Qwen3VLForConditionalGeneration,
  RawImage,
  Tensor,
  env,
} from '@huggingface/transformers';
import type ort from 'onnxruntime-node';
import type { ModelFamily } from '../../contract/types.js';
import { InvalidModelError } from '../errors.js';

let configured = false;

/** Local files only: a model package must be complete on disk; nothing is ever fetched or cached. */
export function configureTransformers(localModelPath?: string): void {
  if (!configured) {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useFSCache = false;
    env.useBrowserCache = false;
    configured = true;
  }
  if (localModelPath) env.localModelPath = localModelPath.endsWith('/') ? localModelPath : `${localModelPath}/`;
}

export { RawImage, Tensor };

export type ChatMessage = {
  role: 'user' | 'system' | 'assistant';
  content: ({ type: 'image' } | { type: 'text'; text: string })[] | string;
};

export interface QwenProcessorOutput {
  input_ids: Tensor;
  attention_mask: Tensor;
  pixel_values: Tensor;
  image_grid_thw: Tensor;
  /** [[h, w]] of the image given to the processor. */
  original_sizes: [number, number][];
  /** [[h, w]] after smart_resize. */
  reshaped_input_sizes: [number, number][];
}

export interface QwenTokenizer {
  (text: string | string[], options?: { add_special_tokens?: boolean }): { input_ids: Tensor; attention_mask: Tensor };
  decode(ids: number[] | bigint[], options?: { skip_special_tokens?: boolean }): string;
}

export interface QwenImageProcessor {
  (images: RawImage | RawImage[]): Promise<{
    pixel_values: Tensor;
    image_grid_thw: Tensor;
    original_sizes: [number, number][];
    reshaped_input_sizes: [number, number][];
  }>;
  config: Record<string, unknown>;
}

export interface QwenProcessor {
  (text: string | string[], images: RawImage | RawImage[] | null): Promise<QwenProcessorOutput>;
  apply_chat_template(messages: ChatMessage[], options: { add_generation_prompt: boolean; chat_template?: string }): string;
  tokenizer: QwenTokenizer;
  image_processor: QwenImageProcessor;
}

/** The Qwen-VL model-class methods the engine reuses (their sessions are the engine's own). */
export interface QwenModel {
  config: Record<string, unknown>;
  get_rope_index(input_ids: Tensor, image_grid_thw: Tensor | null, video_grid_thw: Tensor | null, attention_mask: Tensor): [Tensor, Tensor];
  encode_image(inputs: { pixel_values: Tensor; image_grid_thw: Tensor }): Promise<Tensor>;
  encode_text(inputs: { input_ids: Tensor }): Promise<Tensor>;
  _merge_input_ids_with_image_features(kwargs: {
    image_features: Tensor;
    inputs_embeds: Tensor;
    input_ids: Tensor;
    attention_mask: Tensor;
  }): {
    inputs_embeds: Tensor;
    attention_mask: Tensor;
  };
}

export async function loadProcessor(dir: string): Promise<QwenProcessor> {
  configureTransformers();
  const processor: unknown = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
  return processor as QwenProcessor;
}

const MODEL_CLASSES = {
  qwen2_vl: Qwen2VLForConditionalGeneration,
  qwen2_5_vl: Qwen2_5_VLForConditionalGeneration,
  qwen3_vl: Qwen3VLForConditionalGeneration,
} as const;

/**
 * Builds transformers.js's Qwen-VL model class around sessions the engine created itself (it picks the
 * execution provider and must read the tap outputs by name): get_rope_index, encode_image/encode_text and
 * the image-feature merge then run exactly as transformers.js runs them.
 */
export async function buildQwenModel(
  dir: string,
  family: ModelFamily,
  sessions: { vision_encoder: ort.InferenceSession; embed_tokens: ort.InferenceSession; decoder_model_merged: ort.InferenceSession },
): Promise<QwenModel> {
  configureTransformers();
  const config = await AutoConfig.from_pretrained(dir, { local_files_only: true });
  if (!(family in MODEL_CLASSES))
    throw new InvalidModelError(
      `ONNX packages of ${family} are not supported; open its Hugging Face checkpoint (PyTorch engine) instead.`,
      {
        file: 'config.json',
        field: 'model_type',
      },
    );
  const Cls = MODEL_CLASSES[family as keyof typeof MODEL_CLASSES];
  const model: unknown = new Cls(config, sessions, {});
  return model as QwenModel;
}

/** Wraps onnxruntime output tensors in transformers.js Tensors (same onnxruntime-common underneath). */
export function wrap(t: ort.Tensor): Tensor {
  type OrtArg = Extract<ConstructorParameters<typeof Tensor>, [unknown]>[0];
  return new Tensor(t as unknown as OrtArg);
}

export function unwrap(t: Tensor): ort.Tensor {
  return (t as unknown as { ort_tensor: ort.Tensor }).ort_tensor;
}
