// Attention-tap overhead: the same decoder exported with and without the `decoder_attentions.N` outputs,
// run on identical inputs (a real prompt's prefill, then greedy-length decode steps), interleaved so
// machine load affects both alike. Reports median prefill and per-step decode times and their ratios.
import ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createOnProvider } from '../engine/model/providers.js';
import type { ModelRuntime } from '../engine/model/runtime.js';
import { unwrap, type Tensor } from '../engine/model/transformers.js';
import { DEEPSTACK_INPUT, zeroDeepstack } from '../engine/model/vision.js';
import { median } from './types.js';

export interface PrefillFeeds {
  inputsEmbeds: Tensor;
  attentionMask: Tensor;
  positionIds: Tensor;
  ropeDelta: bigint;
  stepEmbed: Tensor;
  deepstack?: ort.Tensor;
}

export interface TapOverhead {
  notapFile: string;
  promptTokens: number;
  prefillMsTaps: number;
  prefillMsNoTaps: number;
  prefillRatio: number;
  stepMsTaps: number;
  stepMsNoTaps: number;
  stepRatio: number;
  repetitions: number;
  steps: number;
}

/** The no-tap decoder of a package: loupe.json's `notap_decoder` / `files.decoder_without_taps`, else onnx/decoder_model_merged.notap.onnx. */
export function notapPath(rt: ModelRuntime): string | null {
  const m = rt.info.manifest;
  const files = m?.['files'];
  const named = [
    m?.['notap_decoder'],
    typeof files === 'object' && files !== null ? (files as Record<string, unknown>)['decoder_without_taps'] : undefined,
  ];
  const candidates = [
    ...named.filter((x): x is string => typeof x === 'string'),
    'onnx/decoder_model_merged.notap.onnx',
    'onnx/decoder_model_merged_notap.onnx',
  ];
  for (const c of candidates) if (c && existsSync(join(rt.info.dir, c))) return join(rt.info.dir, c);
  return null;
}

function emptyPast(rt: ModelRuntime): Record<string, ort.Tensor> {
  const { numLayers, numKvHeads, headDim } = rt.spec;
  const past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] =
        rt.kvType === 'float16'
          ? new ort.Tensor('float16', new Uint16Array(0), [1, numKvHeads, 0, headDim])
          : new ort.Tensor('float32', new Float32Array(0), [1, numKvHeads, 0, headDim]);
    }
  }
  return past;
}

/** Inputs some exports add (Qwen3-VL deepstack, num_logits_to_keep), for `length` new positions. */
function optionalFeeds(
  session: ort.InferenceSession,
  rt: ModelRuntime,
  length: number,
  deepstack?: ort.Tensor,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  if (session.inputNames.includes(DEEPSTACK_INPUT)) {
    const d = deepstack ?? zeroDeepstack(rt, length);
    if (d) feeds[DEEPSTACK_INPUT] = d;
  }
  if (session.inputNames.includes('num_logits_to_keep'))
    feeds['num_logits_to_keep'] = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
  return feeds;
}

/** Prefill then `steps` decode calls on one session; returns [prefill ms, mean step ms]. */
async function timeDecoder(session: ort.InferenceSession, rt: ModelRuntime, f: PrefillFeeds, steps: number): Promise<[number, number]> {
  const L = Number(f.attentionMask.dims[1]);
  let t = performance.now();
  let out = await session.run({
    inputs_embeds: unwrap(f.inputsEmbeds),
    attention_mask: unwrap(f.attentionMask),
    position_ids: unwrap(f.positionIds),
    ...emptyPast(rt),
    ...optionalFeeds(session, rt, L, f.deepstack),
  });
  const prefill = performance.now() - t;
  t = performance.now();
  for (let s = 0; s < steps; s++) {
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < rt.spec.numLayers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`];
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`];
    }
    const len = L + s;
    const pos = BigInt(len) + f.ropeDelta;
    out = await session.run({
      inputs_embeds: unwrap(f.stepEmbed),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(len + 1).fill(1n), [1, len + 1]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from([pos, pos, pos]), [3, 1, 1]),
      ...past,
      ...optionalFeeds(session, rt, 1),
    });
  }
  return [prefill, steps > 0 ? (performance.now() - t) / steps : 0];
}

export async function measureTapOverhead(
  rt: ModelRuntime,
  feeds: PrefillFeeds,
  repetitions: number,
  steps: number,
): Promise<TapOverhead | null> {
  const file = notapPath(rt);
  if (!file) return null;
  const { notap } = await createOnProvider({ notap: file }, rt.provider);
  try {
    const taps = rt.sessions.decoder_model_merged;
    // Warm both (first runs allocate arenas).
    await timeDecoder(taps, rt, feeds, 1);
    await timeDecoder(notap, rt, feeds, 1);
    const pt: number[] = [];
    const pn: number[] = [];
    const st: number[] = [];
    const sn: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      // Alternate the order so neither variant always runs on a warmer cache.
      const order = r % 2 === 0 ? [true, false] : [false, true];
      for (const withTaps of order) {
        const [p, s] = await timeDecoder(withTaps ? taps : notap, rt, feeds, steps);
        (withTaps ? pt : pn).push(p);
        (withTaps ? st : sn).push(s);
      }
    }
    const prefillMsTaps = median(pt);
    const prefillMsNoTaps = median(pn);
    const stepMsTaps = median(st);
    const stepMsNoTaps = median(sn);
    return {
      notapFile: file,
      promptTokens: Number(feeds.attentionMask.dims[1]),
      prefillMsTaps,
      prefillMsNoTaps,
      prefillRatio: prefillMsTaps / prefillMsNoTaps,
      stepMsTaps,
      stepMsNoTaps,
      stepRatio: stepMsTaps / stepMsNoTaps,
      repetitions,
      steps,
    };
  } finally {
    await notap.release();
  }
}
