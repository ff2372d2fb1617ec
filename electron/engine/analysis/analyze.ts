// One analysis: image + question on one model -> greedy answer with per-token probabilities and the
// attention over visual tokens of every layer and head, at the last prompt token (query 0, the paper's
// query position) and at each generated token (query i = generated token i-1 fed back). Optionally the
// generic prompt's query-0 attention for relative attention, reusing the same vision features.
import type { AnalysisResult, AnswerToken, Box, PreprocessChoice, StageTimings } from '../../contract/types.js';
import { BadRequestError, throwIfAborted } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { DecoderStepper, type StepResult } from '../model/decoder.js';
import { HIDDEN_STATES_OUTPUT } from '../model/package.js';
import { GENERIC_PROMPT, prepareQuestion, prepareTextFor, type PreparedImage, type PreparedPrompt } from '../model/prompt.js';
import type { AnyRuntime, ModelRuntime } from '../model/runtime.js';
import { analyzeImageTorch } from '../torch/analyze.js';
import { checkOnnxRequestFits } from '../model/request-guard.js';
import { assembleMaps, type TapLayout } from '../model/taps.js';
import { argmax, softmaxAt } from '../model/tensors.js';
import { Tensor } from '../model/transformers.js';
import { encodeVision, mergePrompt, type VisionFeatures } from '../model/vision.js';
import { now, type AnalysisHooks } from './stages.js';

export const DEFAULT_MAX_NEW_TOKENS = 16;
/** A hard ceiling: every token costs a decoder call and a row of attention maps. */
export const MAX_NEW_TOKENS_LIMIT = 512;

export interface AnalyzeImageRequest {
  question: string;
  maxNewTokens?: number;
  withGeneric?: boolean;
  box?: Box;
  /** Set for a regional crop cut from the full image (goes into GridGeometry.cropInFull). */
  cropInFull?: Box;
  /** PyTorch engine: also return the final hidden states of the visual positions. */
  hiddenStates?: boolean;
  /** The protocol is the image's own (it was decoded for it); this carries the user's pixel budget. */
  preprocess?: PreprocessChoice;
}

/** Prompt embeddings (image features merged in), rope positions, and the decoder's prefill call. */
export async function prefillPrompt(
  rt: ModelRuntime,
  stepper: DecoderStepper,
  image: PreparedImage,
  vision: VisionFeatures,
  prompt: PreparedPrompt,
): Promise<StepResult> {
  const merged = await mergePrompt(rt, vision, prompt);
  const [positionIds, ropeDeltas] = rt.model.get_rope_index(prompt.inputIds, image.imageGridThw, null, prompt.attentionMask);
  const delta = (ropeDeltas.data as BigInt64Array | number[])[0];
  return stepper.prefill({
    inputsEmbeds: merged.inputsEmbeds,
    attentionMask: merged.attentionMask,
    positionIds,
    ropeDelta: typeof delta === 'bigint' ? delta : BigInt(delta),
    inputIds: prompt.inputIds,
    ...(merged.deepstack ? { deepstack: merged.deepstack } : {}),
  });
}

function checkRequest(req: AnalyzeImageRequest): number {
  if (typeof req.question !== 'string' || req.question.trim() === '')
    throw new BadRequestError('The question is empty.', { field: 'question' });
  const max = req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(max) || max < 0 || max > MAX_NEW_TOKENS_LIMIT) {
    throw new BadRequestError(`maxNewTokens must be an integer in 0..${MAX_NEW_TOKENS_LIMIT}; got ${max}.`, { field: 'maxNewTokens' });
  }
  return max;
}

export async function analyzeImage(
  rt: AnyRuntime,
  image: DecodedImage,
  req: AnalyzeImageRequest,
  hooks: AnalysisHooks = {},
): Promise<AnalysisResult> {
  // The PyTorch worker sends the prompt's logits (a vocabulary of floats) only when they are asked for.
  if (rt.kind === 'torch') return (await analyzeImageTorch(rt, image, req, checkRequest(req), hooks)).result;
  return (await analyzeImageWithLogits(rt, image, req, hooks)).result;
}

/**
 * analyzeImage plus the logits of the first generated position (the prompt's last token), which the
 * faithfulness analysis needs for the probability of a given token, not only of the greedy one.
 */
export async function analyzeImageWithLogits(
  rt: AnyRuntime,
  image: DecodedImage,
  req: AnalyzeImageRequest,
  hooks: AnalysisHooks = {},
): Promise<{ result: AnalysisResult; firstLogits: Float32Array; tokenHidden?: Float32Array; unembedding?: Float32Array }> {
  const maxNewTokens = checkRequest(req);
  if (rt.kind === 'torch') {
    const out = await analyzeImageTorch(rt, image, { ...req, firstLogits: true }, maxNewTokens, hooks);
    if (!out.firstLogits) throw new Error('unreachable: analyzeImageTorch checks that the logits it was asked for came back');
    const { tokenHidden, unembedding } = out;
    return {
      result: out.result,
      firstLogits: out.firstLogits,
      ...(tokenHidden ? { tokenHidden } : {}),
      ...(unembedding ? { unembedding } : {}),
    };
  }
  if (req.hiddenStates && !rt.sessions.decoder_model_merged.outputNames.includes(HIDDEN_STATES_OUTPUT))
    throw new BadRequestError(
      `This package's decoder has no ${HIDDEN_STATES_OUTPUT} output, which hidden states and activation maps need: run \`loupe tap ${rt.info.dir} --hidden-states\` (or open the Hugging Face checkpoint with the PyTorch engine).`,
      { field: 'hiddenStates', file: rt.info.dir },
    );
  const userMaxPixels = req.preprocess?.maxPixels;
  await checkOnnxRequestFits(rt, {
    protocol: image.protocol,
    maxNewTokens,
    ...(userMaxPixels !== undefined ? { maxPixels: userMaxPixels } : {}),
  });
  const { signal, onStage } = hooks;
  const timings: StageTimings = { preprocessMs: 0, visionMs: 0, prefillMs: 0, decodeMs: 0, metricsMs: 0 };

  onStage?.('preprocess');
  let t = now();
  const { image: prepared, prompt } = prepareQuestion(rt, image, req.question, req.cropInFull, req.preprocess);
  const generic = req.withGeneric === false ? null : prepareTextFor(rt, prepared, GENERIC_PROMPT);
  timings.preprocessMs = now() - t;
  throwIfAborted(signal);

  onStage?.('vision');
  t = now();
  const features = await encodeVision(rt, prepared);
  timings.visionMs = now() - t;
  throwIfAborted(signal);

  onStage?.('prefill');
  t = now();
  const stepper = new DecoderStepper(rt);
  const steps: StepResult[] = [await prefillPrompt(rt, stepper, prepared, features, prompt)];
  let genericStep: StepResult | null = null;
  if (generic) {
    // Its own cache: the generic prompt is a separate conversation over the same vision features.
    genericStep = await prefillPrompt(rt, new DecoderStepper(rt), prepared, features, generic);
  }
  timings.prefillMs = now() - t;
  throwIfAborted(signal);

  onStage?.('decode');
  t = now();
  const tokens: AnswerToken[] = [];
  const eos = new Set(rt.spec.eosTokenIds);
  let last = steps[0];
  for (let i = 0; i < maxNewTokens; i++) {
    const id = argmax(last.logits);
    if (eos.has(id)) break;
    tokens.push({ id, text: rt.processor.tokenizer.decode([id], { skip_special_tokens: false }), prob: softmaxAt(last.logits, id) });
    // Fed back even when it is the last token, so every answer token has its own query row.
    const embed = await rt.model.encode_text({ input_ids: new Tensor('int64', BigInt64Array.from([BigInt(id)]), [1, 1]) });
    last = await stepper.step(embed);
    steps.push(last);
    throwIfAborted(signal);
  }
  timings.decodeMs = now() - t;

  onStage?.('metrics');
  t = now();
  const { gridH, gridW } = prepared.geometry;
  const layout: TapLayout = { numLayers: rt.spec.numLayers, numHeads: rt.spec.numHeads, gridH, gridW, visualStart: prompt.visualStart };
  const attention = assembleMaps(steps, layout);
  const genericAttention =
    genericStep && generic ? assembleMaps([genericStep], { ...layout, visualStart: generic.visualStart }) : undefined;
  timings.metricsMs = now() - t;

  const result: AnalysisResult = {
    modelId: rt.info.id,
    provider: rt.provider,
    question: req.question,
    prompt: prompt.prompt,
    // A model may stop at once (end-of-turn as its first token); transformers.js refuses to decode [].
    answer:
      tokens.length > 0
        ? rt.processor.tokenizer.decode(
            tokens.map((x) => x.id),
            { skip_special_tokens: true },
          )
        : '',
    tokens,
    geometry: prepared.geometry,
    attention,
    preprocess: prepared.preprocess,
    timings,
  };
  if (genericAttention) result.genericAttention = genericAttention;
  if (req.box) result.box = req.box;
  const hidden = req.hiddenStates ? steps[0].hidden : undefined;
  if (!hidden) return { result, firstLogits: steps[0].logits };
  // Visual positions of the prompt, and each answer token's own position (the step that fed it back).
  const cells = gridH * gridW;
  const dim = hidden.width;
  result.hiddenStates = { cells, dim, data: hidden.data.slice(prompt.visualStart * dim, (prompt.visualStart + cells) * dim) };
  const tokenHidden = new Float32Array(tokens.length * dim);
  tokens.forEach((_, i) => {
    const h = steps[i + 1].hidden;
    if (h) tokenHidden.set(h.data.subarray(h.data.length - dim), i * dim);
  });
  return { result, firstLogits: steps[0].logits, tokenHidden };
}
