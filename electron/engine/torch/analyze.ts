// One analysis on the PyTorch engine: the worker runs preprocessing (the checkpoint's HF processor under
// the chosen protocol), the vision tower, the prefills and greedy decoding with the taps, and returns the
// attention over the visual tokens already in the contract's layout ([queries, layers, heads, cells]).
import type { AnalysisResult, AnswerToken, AttentionMaps, GridGeometry, PreprocessInfo, StageTimings } from '../../contract/types.js';
import type { AnalyzeImageRequest } from '../analysis/analyze.js';
import { now, type AnalysisHooks } from '../analysis/stages.js';
import { InvalidModelError, throwIfAborted } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { availableRamBytes, checkRunFits } from '../model/memory-estimate.js';
import type { TorchRuntime, TorchStats } from './runtime.js';
import type { Blob } from './wire.js';

export interface TorchAnalyzeRequest extends AnalyzeImageRequest {
  hiddenStates?: boolean;
  /** Also return the logits at the prompt's last position (the faithfulness analysis scores a given token). */
  firstLogits?: boolean;
}

export interface TorchAnalysis {
  result: AnalysisResult;
  /** Present when the request asked for it. */
  firstLogits?: Float32Array;
  /** With hiddenStates: each answer token's final hidden state at its own position, [tokens, hidden]. */
  tokenHidden?: Float32Array;
  /** With hiddenStates: the answer tokens' lm_head rows (tied or untied), [tokens, hidden]. */
  unembedding?: Float32Array;
}

/** A [answer tokens, hidden] float32 blob the worker returns beside the hidden states. */
function perToken(blob: Blob | undefined, name: string, tokens: number, dim: number): Float32Array {
  if (!blob || blob.dtype !== 'float32' || blob.shape.length !== 2 || blob.shape[0] !== tokens || blob.shape[1] !== dim)
    throw new InvalidModelError(
      `The PyTorch worker's ${name} is ${blob ? `${blob.dtype} ${blob.shape.join('x')}` : 'missing'}; expected float32 ${tokens}x${dim} (answer tokens x hidden size).`,
    );
  return blob.data as Float32Array;
}

interface WorkerResult {
  prompt: string;
  answer: string;
  tokens: AnswerToken[];
  geometry: Omit<GridGeometry, 'cropInFull'>;
  /** The contract's PreprocessInfo less the decode's warnings, which the TS side adds. */
  preprocess: Omit<PreprocessInfo, 'warnings'>;
  visualStart: number;
  timings: StageTimings;
  stats: TorchStats;
}

function maps(blob: Blob | undefined, rt: TorchRuntime, geometry: GridGeometry, name: string): AttentionMaps {
  if (!blob || blob.dtype !== 'float32' || blob.shape.length !== 4)
    throw new InvalidModelError(`The PyTorch worker returned no ${name} [queries, layers, heads, cells] float32.`);
  const [q, l, h, cells] = blob.shape as [number, number, number, number];
  if (l !== rt.spec.numLayers || h !== rt.spec.numHeads || cells !== geometry.gridH * geometry.gridW)
    throw new InvalidModelError(
      `The PyTorch worker's ${name} is ${blob.shape.join('x')}; expected layers ${rt.spec.numLayers} x heads ${rt.spec.numHeads} x cells ${geometry.gridH * geometry.gridW}.`,
      { file: 'config.json' },
    );
  return { numQueries: q, numLayers: l, numHeads: h, gridH: geometry.gridH, gridW: geometry.gridW, data: blob.data as Float32Array };
}

export async function analyzeImageTorch(
  rt: TorchRuntime,
  image: DecodedImage,
  req: TorchAnalyzeRequest,
  maxNewTokens: number,
  hooks: AnalysisHooks = {},
): Promise<TorchAnalysis> {
  const { signal, onStage } = hooks;
  await rt.ensureWorker(signal);
  // The load-time guard planned for the default budget; a request may ask for more pixels (hf protocol).
  if (rt.provider === 'cpu') {
    const maxPixels = req.preprocess?.maxPixels ?? rt.maxPixels;
    checkRunFits(
      rt.spec,
      { dtype: rt.dtype, device: 'cpu', protocol: image.protocol, maxNewTokens, ...(maxPixels !== undefined ? { maxPixels } : {}) },
      { device: 'cpu', availableBytes: await availableRamBytes(), what: 'available RAM (MemAvailable)' },
    );
  }
  onStage?.('preprocess', 'PyTorch worker: preprocess, vision, prefill and decode');
  const rgb: Blob = { dtype: 'uint8', shape: [image.height, image.width, 3], data: image.rgb };
  const frame = await rt.worker.call(
    'analyze',
    {
      question: req.question,
      maxNewTokens,
      withGeneric: req.withGeneric !== false,
      // The image was decoded for its protocol (stored frame and white-composited alpha under paper); the
      // worker runs the rest of that chain. A request's pixel budget overrides the one given at load.
      protocol: image.protocol,
      maxPixels: req.preprocess?.maxPixels ?? rt.maxPixels ?? null,
      hiddenStates: req.hiddenStates === true,
      firstLogits: req.firstLogits === true,
    },
    { rgb },
    signal,
  );
  throwIfAborted(signal);
  onStage?.('metrics');
  const t = now();
  const out = frame.header['result'] as WorkerResult;
  const geometry: GridGeometry = { ...out.geometry };
  if (req.cropInFull) geometry.cropInFull = req.cropInFull;
  const attention = maps(frame.blobs['attention'], rt, geometry, 'attention');
  rt.lastStats = out.stats;
  const timings: StageTimings = { ...out.timings };
  const result: AnalysisResult = {
    modelId: rt.info.id,
    provider: rt.provider,
    question: req.question,
    prompt: out.prompt,
    answer: out.answer,
    tokens: out.tokens,
    geometry,
    attention,
    preprocess: { ...out.preprocess, warnings: [...image.warnings] },
    timings,
  };
  if (frame.blobs['genericAttention']) result.genericAttention = maps(frame.blobs['genericAttention'], rt, geometry, 'genericAttention');
  const hidden = frame.blobs['hiddenStates'];
  if (hidden) result.hiddenStates = { cells: hidden.shape[0] ?? 0, dim: hidden.shape[1] ?? 0, data: hidden.data as Float32Array };
  if (req.box) result.box = req.box;
  timings.metricsMs += now() - t;
  const logits = frame.blobs['firstLogits'];
  if (req.firstLogits && (!logits || logits.dtype !== 'float32'))
    throw new InvalidModelError('The PyTorch worker returned no firstLogits float32 although they were asked for.');
  const analysis: TorchAnalysis = logits && req.firstLogits ? { result, firstLogits: logits.data as Float32Array } : { result };
  if (result.hiddenStates) {
    const n = result.tokens.length;
    analysis.tokenHidden = perToken(frame.blobs['tokenHidden'], 'tokenHidden', n, result.hiddenStates.dim);
    analysis.unembedding = perToken(frame.blobs['unembedding'], 'unembedding', n, result.hiddenStates.dim);
  }
  return analysis;
}
