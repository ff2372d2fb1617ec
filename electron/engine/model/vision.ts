// The vision step and the merge of its outputs into the prompt embeddings. Image features go through
// transformers.js's own merge (`_merge_input_ids_with_image_features`, a masked scatter at the image-token
// positions). Qwen3-VL packages also return `deepstack_features` [k, tokens, hidden]: transformers.js 4.3
// has no deepstack path, so they are scattered here into the dense decoder input `deepstack_embeds`
// [k, batch, length, hidden] at the same positions, zeros elsewhere (docs/model-packages.md).
import ort from 'onnxruntime-node';
import type { PreparedImage, PreparedPrompt } from './prompt.js';
import type { ModelRuntime } from './runtime.js';
import { asFloat32 } from './tensors.js';
import { wrap, unwrap, type Tensor } from './transformers.js';

export const DEEPSTACK_OUTPUT = 'deepstack_features';
export const DEEPSTACK_INPUT = 'deepstack_embeds';

export interface VisionFeatures {
  features: Tensor;
  /** [k, tokens, hidden] when the package has deepstack features (Qwen3-VL). */
  deepstack?: ort.Tensor;
}

export interface MergedPrompt {
  inputsEmbeds: Tensor;
  attentionMask: Tensor;
  /** Dense [k, 1, length, hidden], when the decoder takes deepstack_embeds. */
  deepstack?: ort.Tensor;
}

function gridInputName(rt: ModelRuntime): string {
  return rt.sessions.vision_encoder.inputNames.includes('grid_thw') ? 'grid_thw' : 'image_grid_thw';
}

/** Runs vision_encoder once; its outputs serve every prompt over the same image. */
export async function encodeVision(rt: ModelRuntime, image: PreparedImage): Promise<VisionFeatures> {
  const session = rt.sessions.vision_encoder;
  const out = await session.run({ pixel_values: unwrap(image.pixelValues), [gridInputName(rt)]: unwrap(image.imageGridThw) });
  const result: VisionFeatures = { features: wrap(out['image_features']) };
  if (session.outputNames.includes(DEEPSTACK_OUTPUT)) result.deepstack = out[DEEPSTACK_OUTPUT];
  return result;
}

function hasDeepstackInput(rt: ModelRuntime): boolean {
  return rt.sessions.decoder_model_merged.inputNames.includes(DEEPSTACK_INPUT);
}

/** Zeros of the decoder's deepstack input for `length` new positions (decode steps, text-only calls). */
export function zeroDeepstack(rt: ModelRuntime, length: number): ort.Tensor | undefined {
  if (!hasDeepstackInput(rt)) return undefined;
  const k = Math.max(1, rt.spec.deepstackLayers.length);
  const h = rt.spec.hiddenSize;
  // fp16 packages take float16 activations; zeros are zero bits either way.
  return rt.floatType === 'float16'
    ? new ort.Tensor('float16', new Uint16Array(k * length * h), [k, 1, length, h])
    : new ort.Tensor('float32', new Float32Array(k * length * h), [k, 1, length, h]);
}

export async function mergePrompt(rt: ModelRuntime, vision: VisionFeatures, prompt: PreparedPrompt): Promise<MergedPrompt> {
  const embeds = await rt.model.encode_text({ input_ids: prompt.inputIds });
  const merged = rt.model._merge_input_ids_with_image_features({
    image_features: vision.features,
    inputs_embeds: embeds,
    input_ids: prompt.inputIds,
    attention_mask: prompt.attentionMask,
  });
  const out: MergedPrompt = { inputsEmbeds: merged.inputs_embeds, attentionMask: merged.attention_mask };
  if (!hasDeepstackInput(rt)) return out;
  const length = Number(prompt.inputIds.dims[1]);
  const dense = zeroDeepstack(rt, length);
  if (!dense) return out;
  if (vision.deepstack) {
    const [k, tokens, hidden] = vision.deepstack.dims.map(Number);
    // Same element type on both sides (float32, or float16 bits in a Uint16Array): copy rows as they are.
    const dst = dense.data as Float32Array | Uint16Array;
    const src =
      dense.type === vision.deepstack.type
        ? (vision.deepstack.data as Float32Array | Uint16Array)
        : asFloat32(vision.deepstack.data, vision.deepstack.type);
    if (dst.constructor !== src.constructor) {
      throw new Error(`deepstack_features is ${vision.deepstack.type} but deepstack_embeds expects ${dense.type}.`);
    }
    const ids = prompt.inputIds.data as BigInt64Array;
    const imageId = BigInt(rt.spec.imageTokenId);
    let t = 0;
    for (let pos = 0; pos < length && t < tokens; pos++) {
      if (ids[pos] !== imageId) continue;
      for (let layer = 0; layer < k; layer++)
        dst.set(src.subarray((layer * tokens + t) * hidden, (layer * tokens + t + 1) * hidden), (layer * length + pos) * hidden);
      t++;
    }
  }
  out.deepstack = dense;
  return out;
}
