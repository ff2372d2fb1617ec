// Drives decoder_model_merged call by call, keeping the KV cache, so every call's attention taps
// (`decoder_attentions.N`: the last query row of each layer) can be read by name. transformers.js's
// generate() also collects outputs named decoder_attentions*, but it drops their names (order follows the
// session's output list), reports no per-token probabilities and runs vision + prefill + decode as one
// opaque call: per-stage timings, the shared vision features of the generic prompt and the query row of
// the last generated token all need this loop. Position ids still come from transformers.js (get_rope_index).
import ort from 'onnxruntime-node';
import type { ModelRuntime } from './runtime.js';
import { asFloat32 } from './tensors.js';
import { HIDDEN_STATES_OUTPUT, tapName } from './package.js';
import { unwrap, type Tensor } from './transformers.js';
import { DEEPSTACK_INPUT, zeroDeepstack } from './vision.js';

export interface StepResult {
  /** Logits of the last position of the call. */
  logits: Float32Array;
  /** Per layer: [heads * total] softmax row of the last query position, total = sequence length so far. */
  taps: Float32Array[];
  total: number;
  /** decoder_hidden_states when the package has it (`loupe tap --hidden-states`): [positions of this call, width]. */
  hidden?: { data: Float32Array; width: number };
}

export interface PrefillInputs {
  inputsEmbeds: Tensor;
  attentionMask: Tensor;
  positionIds: Tensor;
  /** mrope delta from get_rope_index: position of a new token = cache length + delta. */
  ropeDelta: bigint;
  /** Qwen3-VL: dense deepstack features [k, 1, length, hidden]. */
  deepstack?: ort.Tensor;
  /** The prompt ids, for decoders that take `mm_token_type_ids` (1 at image tokens, 0 elsewhere). */
  inputIds?: Tensor;
}

export class DecoderStepper {
  private past: Record<string, ort.Tensor> = {};
  private length = 0;
  private ropeDelta = 0n;
  private readonly session: ort.InferenceSession;

  constructor(private readonly rt: ModelRuntime) {
    this.session = rt.sessions.decoder_model_merged;
    this.resetCache();
  }

  private resetCache(): void {
    const { numLayers, numKvHeads, headDim } = this.rt.spec;
    const dims = [1, numKvHeads, 0, headDim];
    const empty = (): ort.Tensor =>
      this.rt.kvType === 'float16'
        ? new ort.Tensor('float16', new Uint16Array(0), dims)
        : new ort.Tensor('float32', new Float32Array(0), dims);
    this.past = {};
    for (let i = 0; i < numLayers; i++) {
      this.past[`past_key_values.${i}.key`] = empty();
      this.past[`past_key_values.${i}.value`] = empty();
    }
    this.length = 0;
  }

  get cacheLength(): number {
    return this.length;
  }

  private async run(
    embeds: ort.Tensor,
    mask: ort.Tensor,
    positions: ort.Tensor,
    extra: { deepstack?: ort.Tensor; tokenTypes?: ort.Tensor } = {},
  ): Promise<StepResult> {
    const feeds: Record<string, ort.Tensor> = { inputs_embeds: embeds, attention_mask: mask, position_ids: positions, ...this.past };
    const names = this.session.inputNames;
    const newLength = Number(embeds.dims[1]);
    if (names.includes(DEEPSTACK_INPUT)) {
      const zeros = extra.deepstack ?? zeroDeepstack(this.rt, newLength);
      if (zeros) feeds[DEEPSTACK_INPUT] = zeros;
    }
    if (names.includes('mm_token_type_ids'))
      feeds['mm_token_type_ids'] = extra.tokenTypes ?? new ort.Tensor('int64', new BigInt64Array(newLength), [1, newLength]);
    // Optional inputs some exporters add (transformers.js handles the same two).
    if (names.includes('num_logits_to_keep')) feeds['num_logits_to_keep'] = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
    if (names.includes('use_cache_branch'))
      feeds['use_cache_branch'] = new ort.Tensor('bool', Uint8Array.from([this.length > 0 ? 1 : 0]), [1]);
    const out = await this.session.run(feeds);
    const { numLayers } = this.rt.spec;
    const next: Record<string, ort.Tensor> = {};
    for (let i = 0; i < numLayers; i++) {
      next[`past_key_values.${i}.key`] = out[`present.${i}.key`];
      next[`past_key_values.${i}.value`] = out[`present.${i}.value`];
    }
    this.past = next;
    this.length = Number(mask.dims[1]);
    const logitsT = out['logits'];
    const vocab = Number(logitsT.dims[logitsT.dims.length - 1]);
    const all = asFloat32(logitsT.data, logitsT.type);
    const logits = all.slice(all.length - vocab);
    const taps: Float32Array[] = [];
    for (let i = 0; i < numLayers; i++) {
      const t = out[tapName(i)];
      taps.push(asFloat32(t.data, t.type));
    }
    const hiddenT = out[HIDDEN_STATES_OUTPUT];
    if (!hiddenT) return { logits, taps, total: this.length };
    const width = Number(hiddenT.dims[hiddenT.dims.length - 1]);
    return { logits, taps, total: this.length, hidden: { data: asFloat32(hiddenT.data, hiddenT.type), width } };
  }

  /** The prompt pass: clears any previous cache. */
  async prefill(inputs: PrefillInputs): Promise<StepResult> {
    this.resetCache();
    this.ropeDelta = inputs.ropeDelta;
    const extra: { deepstack?: ort.Tensor; tokenTypes?: ort.Tensor } = {};
    if (inputs.deepstack) extra.deepstack = inputs.deepstack;
    if (inputs.inputIds) {
      const image = BigInt(this.rt.spec.imageTokenId);
      const ids = inputs.inputIds.data as BigInt64Array;
      extra.tokenTypes = new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (x) => (x === image ? 1n : 0n)),
        [1, ids.length],
      );
    }
    return this.run(unwrap(inputs.inputsEmbeds), unwrap(inputs.attentionMask), unwrap(inputs.positionIds), extra);
  }

  /** One generated token fed back: its embedding comes from embed_tokens, its position from the rope delta. */
  async step(embed: Tensor): Promise<StepResult> {
    const pos = BigInt(this.length) + this.ropeDelta;
    const positions = new ort.Tensor('int64', BigInt64Array.from([pos, pos, pos]), [3, 1, 1]);
    const mask = new ort.Tensor('int64', new BigInt64Array(this.length + 1).fill(1n), [1, this.length + 1]);
    return this.run(unwrap(embed), mask, positions);
  }
}
