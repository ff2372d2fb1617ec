// The memory guard: before a model is loaded (or an image run), estimate what it will hold at its largest
// (weights + KV cache + attention taps + the transient activations of the prefill and the vision tower)
// for the pixel budget, dtype and device, and refuse with what to lower when that exceeds what the device
// has free, instead of being killed by the out-of-memory killer halfway through a batch. One accounting
// for both engines: ONNX packages pass their file sizes as the weights and compute in fp32.
import { readFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import type { PreprocessProtocol, ProviderName, TorchDtype } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';

export const DTYPE_BYTES: Record<TorchDtype, number> = { fp32: 4, bf16: 2, fp16: 2 };
const STORED_BYTES: Record<string, number> = { float32: 4, bfloat16: 2, float16: 2 };
const GIB = 1024 ** 3;

/** Model dimensions the estimate needs (from config.json; HfSpec and the ONNX ModelSpec both supply them). */
export interface ModelDims {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  hiddenSize: number;
  /** Bytes of the weight files as stored, and the bytes per parameter they are stored in. */
  weightBytes: number;
  storedBytesPerParam: number;
  patchSize: number;
  mergeSize: number;
  visionHidden: number;
  /** Fixed visual tokens per image (Gemma 3); absent when the grid follows the pixel budget (Qwen). */
  tokensPerImage?: number;
  /** The checkpoint's preprocessor max_pixels (what the `hf` protocol allows). */
  maxPixels?: number;
  /**
   * Whether a prefill materialises one layer's heads x S x S scores (default true: PyTorch SDPA's math
   * kernel on CPU with a mask). Fused ONNX decoders (GroupQueryAttention / MultiHeadAttention) never do.
   */
  scoresMaterialised?: boolean;
  /** Bytes per vision patch beyond the hidden-size working set (onnxruntime's arena for the fused vision encoder). */
  perPatchOverheadBytes?: number;
  /** Resident bytes beyond the weights themselves, as a fraction of them (the PyTorch worker's TORCH_WEIGHT_OVERHEAD). */
  weightOverhead?: number;
}

export interface RunShape {
  dtype: TorchDtype;
  device: ProviderName;
  protocol: PreprocessProtocol;
  /** The user's pixel budget; the protocol's (and the checkpoint's) apply when absent. */
  maxPixels?: number;
  /** The checkpoint's own max_pixels (used by the `hf` protocol). */
  checkpointMaxPixels?: number;
  maxNewTokens?: number;
  /** Which engine runs it: an ONNX package's precision is fixed at export, so its advice differs. */
  engine?: 'onnx' | 'pytorch';
}

export interface MemoryEstimate {
  visualTokens: number;
  /** The process itself before any model: Python + torch + transformers (or Node + onnxruntime). */
  runtime: number;
  sequence: number;
  weights: number;
  kvCache: number;
  taps: number;
  activations: number;
  vision: number;
  total: number;
}

export interface MemoryBudget {
  device: ProviderName;
  availableBytes: number;
  /** What `availableBytes` is, for the message ("available RAM (MemAvailable)"). */
  what: string;
}

/** The paper's effective budget: qwen_vl_utils' fetch_image at 2048*1024 px (its processor allows 2048*2048). */
export const PAPER_MAX_PIXELS = 2048 * 1024;
/** Qwen2.5-VL's published preprocessor max_pixels, used when the checkpoint's is unknown. */
const HF_DEFAULT_MAX_PIXELS = 12845056;
/** Text around the image: chat template, question, answer options. */
const TEXT_TOKENS = 96;
/** The worker's resident set with a tiny model loaded: 363-372 MiB measured (npm run bench -- torch on the tiny checkpoints). */
export const RUNTIME_BYTES = 384 * 1024 ** 2;
/**
 * What a full-size checkpoint holds beyond its weights in the PyTorch worker (allocator slack, buffers
 * beside the parameters), as a fraction of the weights: fitted to the anonymous peaks of the fp32 runs of
 * 10 items each (`npm run bench -- torch`, 2026-12-03): Qwen3-VL-2B 9.64 GiB at 1,200 visual tokens and
 * Qwen2.5-VL-3B 16.05 GiB at 1,564, which the other terms put 3.3% and 4.6% lower. With it: +0.8% and -0.3%.
 */
export const TORCH_WEIGHT_OVERHEAD = 0.05;
/** Working set of one vision block per patch, in hidden-size units (attention q/k/v/out + a 4x MLP, fp32 softmax). */
const VISION_WORKSET = 12;
/**
 * onnxruntime's extra bytes per vision patch with the fused, segment-padded vision encoder: fitted to the
 * peer benchmark's measured peaks of `loupe inspect` on the tiny Qwen2.5-VL package (256-16,384 visual
 * tokens, docs/benchmarks.md, 2026-12-02), where they grew by about 30 KB per visual token (4 patches).
 */
export const ONNX_VISION_PER_PATCH_BYTES = 4750;
/** The tiny package's vision width, where ONNX_VISION_PER_PATCH_BYTES was fitted. */
const ONNX_TINY_VISION_WIDTH = 32;
/**
 * How that overhead grows with the vision width: fitted so the line also meets the full-size Qwen3-VL-2B
 * fp32 package (vision width 1024) through the ONNX engine, 12.24 GiB anonymous peak over 10 items of
 * 1,200 visual tokens (4,800 patches) against 10.40 GiB from the other terms (`npm run bench --
 * fullsize-onnx`, 2026-12-03): 411 KB per patch there. Two points: the line is a fit, not a derivation.
 * Checked since on a third: the Qwen2.5-VL-3B package (width 1280, windowed vision attention), 18.58 GiB
 * anonymous peak at 1,564 visual tokens against 19.32 GiB estimated (+4%); the 2B again, 12.4 GiB (-1.5%).
 */
export const ONNX_VISION_PER_PATCH_PER_WIDTH = 410;

/** onnxruntime's extra bytes per vision patch for a vision tower of this width. */
export function onnxVisionPerPatchBytes(visionHidden: number): number {
  return ONNX_VISION_PER_PATCH_BYTES + ONNX_VISION_PER_PATCH_PER_WIDTH * Math.max(0, visionHidden - ONNX_TINY_VISION_WIDTH);
}

export function pixelBudget(shape: RunShape, dims?: ModelDims): number {
  const protocolMax =
    shape.protocol === 'paper' ? PAPER_MAX_PIXELS : (shape.checkpointMaxPixels ?? dims?.maxPixels ?? HF_DEFAULT_MAX_PIXELS);
  return shape.maxPixels !== undefined ? Math.min(shape.maxPixels, protocolMax) : protocolMax;
}

export function visualTokensFor(dims: ModelDims, pixels: number): number {
  if (dims.tokensPerImage !== undefined) return dims.tokensPerImage;
  const tokenPx = dims.patchSize * dims.mergeSize;
  return Math.max(4, Math.floor(pixels / (tokenPx * tokenPx)));
}

/** Bytes at the peak of one analysis (prefill of the question prompt while the generic prompt's is held). */
export function estimateMemory(dims: ModelDims, shape: RunShape): MemoryEstimate {
  const bytes = DTYPE_BYTES[shape.dtype];
  const visualTokens = visualTokensFor(dims, pixelBudget(shape, dims));
  const newTokens = shape.maxNewTokens ?? 16;
  const sequence = visualTokens + TEXT_TOKENS + newTokens;
  const params = dims.weightBytes / dims.storedBytesPerParam;
  const weights = params * bytes * (1 + (dims.weightOverhead ?? 0));
  // Two caches live at once: the question's (kept for decoding) and the generic prompt's.
  const kvCache = 2 * (2 * dims.numLayers * dims.numKvHeads * dims.headDim * sequence * bytes);
  // Per query, every layer's row over all keys (float32), the visual columns kept for the result.
  const queries = newTokens + 2;
  const taps = queries * dims.numLayers * dims.numHeads * (sequence + visualTokens) * 4;
  // Prefill transients: hidden states, a 4x MLP, and one layer's attention scores (heads x S x S, float32)
  // where SDPA falls back to its math kernel (CPU with a mask).
  const scores = dims.scoresMaterialised === false ? 0 : dims.numHeads * sequence * sequence * 4;
  const activations = sequence * dims.hiddenSize * bytes * 12 + scores;
  const patches = visualTokens * dims.mergeSize * dims.mergeSize;
  const vision = patches * (dims.visionHidden * 4 * VISION_WORKSET + (dims.perPatchOverheadBytes ?? 0));
  const runtime = RUNTIME_BYTES;
  const total = runtime + weights + kvCache + taps + activations + vision;
  return { visualTokens, runtime, sequence, weights, kvCache, taps, activations, vision, total };
}

export function gib(n: number): string {
  return `${(n / GIB).toFixed(2)} GiB`;
}

/** The largest pixel budget (a multiple of one token's area) whose estimate fits, or 0 when none does. */
export function largestFittingPixels(dims: ModelDims, shape: RunShape, available: number): number {
  const tokenArea = (dims.patchSize * dims.mergeSize) ** 2;
  let lo = 4;
  let hi = Math.max(4, Math.floor(pixelBudget(shape, dims) / tokenArea));
  const fits = (tokens: number): boolean => estimateMemory(dims, { ...shape, maxPixels: tokens * tokenArea }).total <= available;
  if (!fits(lo)) return 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo * tokenArea;
}

/** Headroom kept free for the runtime itself, the OS and other processes. */
export const HEADROOM = 0.9;

/** Throws a BadRequestError naming the limit and what to lower when the estimate exceeds the budget. */
export function checkFits(spec: HfDimsSource | ModelDims, shape: RunShape, budget: MemoryBudget): MemoryEstimate {
  const dims = 'storedBytesPerParam' in spec ? spec : dimsOf(spec);
  const est = estimateMemory(dims, shape);
  const available = budget.availableBytes * HEADROOM;
  if (est.total <= available) return est;
  const fixes: string[] = [];
  const px = largestFittingPixels(dims, shape, available);
  if (px > 0 && dims.tokensPerImage === undefined)
    fixes.push(
      `lower the pixel budget to ${px} px or less (--max-pixels ${px} on the command; in the app, Max pixels in Inspect or LOUPE_MAX_PIXELS=${px} for its engine; ${est.visualTokens} visual tokens now)`,
    );
  if (shape.dtype === 'fp32') {
    const half = estimateMemory(dims, { ...shape, dtype: 'bf16' });
    const fits = `estimate ${gib(half.total)}${half.total <= available ? ', fits' : ''}`;
    fixes.push(
      shape.engine === 'onnx'
        ? `export the package at half precision (native-models/export_checkpoint.py CHECKPOINT OUT --dtype fp16; ${fits})`
        : `use --dtype bf16 (${fits})`,
    );
  }
  if (budget.device === 'cpu') fixes.push('run on a GPU with more memory (--provider cuda; `loupe doctor` says whether one is usable)');
  else fixes.push('run on a larger GPU, or on cpu with enough RAM');
  throw new BadRequestError(
    `This model would need about ${gib(est.total)} on ${budget.device} (runtime ${gib(est.runtime)}, weights ${gib(est.weights)}, KV cache ${gib(est.kvCache)}, attention taps ${gib(est.taps)}, decoder activations ${gib(est.activations)}, vision tower ${gib(est.vision)}; ${est.visualTokens} visual tokens at ${pixelBudget(shape, dims)} px, ${shape.dtype}) but ${budget.what} is ${gib(budget.availableBytes)} (${Math.round(HEADROOM * 100)}% of it usable). To fit: ${fixes.join('; or ')}.`,
    { field: px > 0 ? 'maxPixels' : 'dtype' },
  );
}

/** What checkFits reads from a checkpoint's spec (HfSpec satisfies it). */
export interface HfDimsSource {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  hiddenSize: number;
  weightBytes: number;
  dtype: string;
  patchSize: number;
  mergeSize: number;
  visionHidden: number;
  tokensPerImage?: number;
  maxPixels?: number;
}

export function dimsOf(spec: HfDimsSource): ModelDims {
  const dims: ModelDims = {
    numLayers: spec.numLayers,
    numHeads: spec.numHeads,
    numKvHeads: spec.numKvHeads,
    headDim: spec.headDim,
    hiddenSize: spec.hiddenSize,
    weightBytes: spec.weightBytes,
    storedBytesPerParam: STORED_BYTES[spec.dtype] ?? 4,
    patchSize: spec.patchSize,
    mergeSize: spec.mergeSize,
    visionHidden: spec.visionHidden,
  };
  if (spec.tokensPerImage !== undefined) dims.tokensPerImage = spec.tokensPerImage;
  if (spec.maxPixels !== undefined) dims.maxPixels = spec.maxPixels;
  dims.weightOverhead = TORCH_WEIGHT_OVERHEAD;
  return dims;
}

/** MemAvailable from /proc/meminfo (what can be allocated without swapping); os.freemem() elsewhere. */
export async function availableRamBytes(): Promise<number> {
  try {
    const text = await readFile('/proc/meminfo', 'utf8');
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}

/**
 * The same accounting for an ONNX package: its onnx/ files (graphs and external data, fp32 unless the
 * package says otherwise) are the weights; the shape comes from config.json.
 */
export async function onnxPackageDims(
  dir: string,
  spec: {
    numLayers: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    hiddenSize: number;
    patchSize: number;
    spatialMergeSize: number;
  },
): Promise<ModelDims> {
  const { readdir, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let weightBytes = 0;
  for (const f of await readdir(join(dir, 'onnx')).catch(() => [] as string[])) {
    if (f.includes('.notap.')) continue; // the tap-less copy kept for the overhead bench is never loaded with the other
    // onnx/lm_head.onnx(_data) is opened only while an activation map gathers its rows, then released
    // (activation-unembedding.ts): it is not resident beside the decoder.
    if (f.startsWith('lm_head.onnx')) continue;
    const st = await stat(join(dir, 'onnx', f)).catch(() => null);
    if (st?.isFile()) weightBytes += st.size;
  }
  let visionHidden = 0;
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      vision_config?: { hidden_size?: number; embed_dim?: number };
    };
    visionHidden = config.vision_config?.hidden_size ?? config.vision_config?.embed_dim ?? 0;
  } catch {
    // validation reports config.json problems; the estimate then leaves the vision tower out
  }
  return {
    numLayers: spec.numLayers,
    numHeads: spec.numHeads,
    numKvHeads: spec.numKvHeads,
    headDim: spec.headDim,
    hiddenSize: spec.hiddenSize,
    weightBytes,
    storedBytesPerParam: 4,
    patchSize: spec.patchSize,
    mergeSize: spec.spatialMergeSize,
    visionHidden,
    scoresMaterialised: !(await decoderIsFused(join(dir, 'onnx', 'decoder_model_merged.onnx'))),
    perPatchOverheadBytes: onnxVisionPerPatchBytes(visionHidden),
  };
}

/**
 * Whether a decoder graph attends through onnxruntime's fused operators. A serialised GraphProto lists its
 * nodes (field 1) before its initializers, so the op types are in the file's first megabytes even when
 * the weights are inline; a graph we cannot read counts as decomposed (the larger estimate).
 */
async function decoderIsFused(file: string): Promise<boolean> {
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(8 * 1024 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead);
    return text.includes('GroupQueryAttention') || text.includes('MultiHeadAttention');
  } finally {
    await handle.close();
  }
}

/** max_pixels (or size.longest_edge) of preprocessor_config.json, when it states one. */
export async function preprocessorMaxPixels(dir: string): Promise<number | undefined> {
  try {
    const { join } = await import('node:path');
    const pre = JSON.parse(await readFile(join(dir, 'preprocessor_config.json'), 'utf8')) as {
      max_pixels?: unknown;
      size?: { longest_edge?: unknown };
    };
    const v = pre.max_pixels ?? pre.size?.longest_edge;
    return typeof v === 'number' && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The per-request guard once the weights are in memory: the caches, taps and activations of this
 * request's pixel budget against what is free now (the loaded weights are already out of `available`).
 */
export function checkRunFits(spec: HfDimsSource | ModelDims, shape: RunShape, budget: MemoryBudget): void {
  const dims = 'storedBytesPerParam' in spec ? spec : dimsOf(spec);
  const est = estimateMemory(dims, shape);
  const need = est.total - est.weights - est.runtime;
  const available = budget.availableBytes * HEADROOM;
  if (need <= available) return;
  const px = largestFittingPixels({ ...dims, weightBytes: 0 }, shape, available + RUNTIME_BYTES);
  throw new BadRequestError(
    `This image would need about ${gib(need)} beyond the loaded weights (KV cache ${gib(est.kvCache)}, taps ${gib(est.taps)}, activations ${gib(est.activations + est.vision)}; ${est.visualTokens} visual tokens at ${pixelBudget(shape, dims)} px) but ${budget.what} is ${gib(budget.availableBytes)}. ${px > 0 ? `Lower the pixel budget to --max-pixels ${px} or less.` : 'Free memory or use a larger device.'}`,
    { field: 'maxPixels' },
  );
}
