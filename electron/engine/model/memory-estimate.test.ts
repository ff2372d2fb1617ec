import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkFits,
  dimsOf,
  estimateMemory,
  largestFittingPixels,
  ONNX_VISION_PER_PATCH_BYTES,
  onnxPackageDims,
  onnxVisionPerPatchBytes,
  PAPER_MAX_PIXELS,
  visualTokensFor,
  type ModelDims,
} from './memory-estimate.js';

// Qwen2.5-VL-3B-Instruct as published (config.json: 36 layers, 16 heads, 2 KV heads, hidden 2048; vision 1280 wide),
// its bf16 safetensors about 7.5 GB.
const QWEN25_3B: ModelDims = {
  numLayers: 36,
  numHeads: 16,
  numKvHeads: 2,
  headDim: 128,
  hiddenSize: 2048,
  weightBytes: 7.5e9,
  storedBytesPerParam: 2,
  patchSize: 14,
  mergeSize: 2,
  visionHidden: 1280,
  maxPixels: 12845056,
};
const GIB = 1024 ** 3;

describe('memory estimate', () => {
  it('counts weights at the compute dtype and the visual tokens of the pixel budget', () => {
    const paper = estimateMemory(QWEN25_3B, { dtype: 'fp32', device: 'cpu', protocol: 'paper' });
    expect(paper.visualTokens).toBe(Math.floor(PAPER_MAX_PIXELS / (28 * 28)));
    expect(paper.weights).toBeCloseTo(15e9, -6);
    expect(estimateMemory(QWEN25_3B, { dtype: 'bf16', device: 'cpu', protocol: 'paper' }).weights).toBeCloseTo(7.5e9, -6);
    // KV cache: 2 caches x (K and V) x layers x kv heads x head dim x sequence x 4 bytes
    expect(paper.kvCache).toBe(2 * 2 * 36 * 2 * 128 * paper.sequence * 4);
    // hf keeps the checkpoint's budget: 12,845,056 px is 16,384 tokens
    expect(estimateMemory(QWEN25_3B, { dtype: 'fp32', device: 'cpu', protocol: 'hf' }).visualTokens).toBe(16384);
    expect(estimateMemory(QWEN25_3B, { dtype: 'fp32', device: 'cpu', protocol: 'hf', maxPixels: 1e6 }).visualTokens).toBe(
      Math.floor(1e6 / 784),
    );
    expect(visualTokensFor({ ...QWEN25_3B, tokensPerImage: 256 }, 1e9)).toBe(256);
  });

  it('fits: returns the estimate', () => {
    const est = checkFits(
      QWEN25_3B,
      { dtype: 'bf16', device: 'cpu', protocol: 'paper' },
      { device: 'cpu', availableBytes: 64 * GIB, what: 'RAM' },
    );
    expect(est.total).toBeGreaterThan(est.weights);
  });

  it('does not fit: refuses naming the limit, a pixel budget that fits and the smaller dtype', () => {
    const budget = { device: 'cpu' as const, availableBytes: 18 * GIB, what: 'available RAM (MemAvailable)' };
    const shape = { dtype: 'fp32' as const, device: 'cpu' as const, protocol: 'hf' as const };
    let message = '';
    try {
      checkFits(QWEN25_3B, shape, budget);
    } catch (err) {
      message = (err as Error).message;
      expect((err as { field?: string }).field).toBe('maxPixels');
    }
    expect(message).toMatch(/would need about [\d.]+ GiB on cpu \(runtime [\d.]+ GiB, weights [\d.]+ GiB, KV cache/);
    expect(message).toMatch(/available RAM \(MemAvailable\) is 18\.00 GiB/);
    expect(message).toMatch(/--max-pixels (\d+)/);
    expect(message).toMatch(/--dtype bf16/);
    const px = Number(/--max-pixels (\d+)/.exec(message)?.[1]);
    expect(estimateMemory(QWEN25_3B, { ...shape, maxPixels: px }).total).toBeLessThanOrEqual(budget.availableBytes * 0.9);
    expect(estimateMemory(QWEN25_3B, { ...shape, maxPixels: px + 784 }).total).toBeGreaterThan(budget.availableBytes * 0.9);
    expect(largestFittingPixels(QWEN25_3B, shape, 1e9)).toBe(0); // the weights alone exceed 1 GB
  });

  it("an ONNX package's precision is fixed at export: its refusal says to export at fp16, not to load in bf16", () => {
    const budget = { device: 'cpu' as const, availableBytes: 18 * GIB, what: 'available RAM (MemAvailable)' };
    const shape = { dtype: 'fp32' as const, device: 'cpu' as const, protocol: 'hf' as const, engine: 'onnx' as const };
    expect(() => checkFits(QWEN25_3B, shape, budget)).toThrow(
      /export the package at half precision \(native-models\/export_checkpoint\.py CHECKPOINT OUT --dtype fp16; estimate/,
    );
    expect(() => checkFits(QWEN25_3B, shape, budget)).not.toThrow(/--dtype bf16/);
    // the pixel budget is offered for the command and the app (the load is planned for it)
    expect(() => checkFits(QWEN25_3B, shape, budget)).toThrow(
      /--max-pixels (\d+) on the command; in the app, Max pixels in Inspect or LOUPE_MAX_PIXELS=\1 for its engine/,
    );
  });
});

describe('per-request guard', () => {
  it('a request over what is free after the weights is refused with a budget that fits', async () => {
    const { checkRunFits } = await import('./memory-estimate.js');
    const shape = { dtype: 'bf16' as const, device: 'cpu' as const, protocol: 'hf' as const };
    expect(() =>
      checkRunFits(QWEN25_3B, { ...shape, protocol: 'paper' }, { device: 'cpu', availableBytes: 8 * GIB, what: 'RAM' }),
    ).not.toThrow();
    expect(() => checkRunFits(QWEN25_3B, shape, { device: 'cpu', availableBytes: 2 * GIB, what: 'available RAM' })).toThrow(
      /beyond the loaded weights.*16384 visual tokens.*available RAM is 2\.00 GiB\. Lower the pixel budget to --max-pixels \d+/,
    );
  });
});

describe('PyTorch engine at full size', () => {
  // The published configurations as dimsOf reads them, with the bf16 safetensors' sizes, and the anonymous
  // peaks of their fp32 runs (docs/benchmarks.md, "PyTorch engine at full size (CPU)", 2026-12-03).
  const cases = [
    {
      name: 'Qwen3-VL-2B at 1,200 visual tokens',
      spec: { numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128, hiddenSize: 2048, weightBytes: 4255140064 },
      vision: { patchSize: 16, mergeSize: 2, visionHidden: 1024 },
      tokens: 1200,
      anonPeak: 10353258496,
    },
    {
      name: 'Qwen2.5-VL-3B at 1,564 visual tokens',
      spec: { numLayers: 36, numHeads: 16, numKvHeads: 2, headDim: 128, hiddenSize: 2048, weightBytes: 7509337328 },
      vision: { patchSize: 14, mergeSize: 2, visionHidden: 1280 },
      tokens: 1564,
      anonPeak: 17235832832,
    },
  ];
  for (const c of cases)
    it(`meets the measured anonymous peak of ${c.name} within 2%`, () => {
      const dims = dimsOf({ ...c.spec, ...c.vision, dtype: 'bfloat16' });
      const token = c.vision.patchSize * c.vision.mergeSize;
      const est = estimateMemory(dims, {
        dtype: 'fp32',
        device: 'cpu',
        protocol: 'paper',
        maxPixels: c.tokens * token * token,
        maxNewTokens: 4,
      });
      expect(est.visualTokens).toBe(c.tokens);
      expect(Math.abs(est.total / c.anonPeak - 1)).toBeLessThan(0.02);
    });
});

describe('ONNX packages', () => {
  // The tiny Qwen2.5-VL fixture's decoder dimensions, as ModelSpec gives them.
  const TINY_SPEC = { numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, hiddenSize: 64, patchSize: 14, spatialMergeSize: 2 };

  it('finds a fused decoder (no heads x S x S scores) in a re-exported package', async () => {
    const dir = join(import.meta.dirname, '../../../test/fixtures/models/tiny-qwen2_5_vl');
    const dims = await onnxPackageDims(dir, TINY_SPEC);
    expect(dims.scoresMaterialised).toBe(false);
    expect(dims.perPatchOverheadBytes).toBe(ONNX_VISION_PER_PATCH_BYTES);
    expect(dims.weightBytes).toBeGreaterThan(0);
    const missing = await onnxPackageDims(join(dir, 'no-such-package'), TINY_SPEC);
    expect(missing.scoresMaterialised).toBe(true);
  });

  it('meets the full-size Qwen3-VL-2B fp32 package measured through the ONNX engine (12.24 GiB at 1,200 visual tokens)', () => {
    // onnxPackageDims of that package (docs/benchmarks.md, "ONNX engine at full size", 2026-12-03).
    const dims: ModelDims = {
      numLayers: 28,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      hiddenSize: 2048,
      weightBytes: 9754235338,
      storedBytesPerParam: 4,
      patchSize: 16,
      mergeSize: 2,
      visionHidden: 1024,
      scoresMaterialised: false,
      perPatchOverheadBytes: onnxVisionPerPatchBytes(1024),
    };
    const est = estimateMemory(dims, { dtype: 'fp32', device: 'cpu', protocol: 'paper', maxPixels: 1200 * 32 * 32, maxNewTokens: 4 });
    expect(est.visualTokens).toBe(1200);
    expect(Math.abs(est.total / 13141889024 - 1)).toBeLessThan(0.02);
    expect(onnxVisionPerPatchBytes(32)).toBe(ONNX_VISION_PER_PATCH_BYTES);
  });

  it('counts the sessions that stay loaded, not onnx/lm_head.onnx (opened only while activation rows are gathered)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-dims-'));
    try {
      mkdirSync(join(dir, 'onnx'));
      writeFileSync(join(dir, 'onnx', 'decoder_model_merged.onnx'), Buffer.alloc(1000));
      writeFileSync(join(dir, 'onnx', 'decoder_model_merged.onnx_data'), Buffer.alloc(5000));
      writeFileSync(join(dir, 'onnx', 'embed_tokens.onnx'), Buffer.alloc(300));
      writeFileSync(join(dir, 'onnx', 'lm_head.onnx'), Buffer.alloc(20));
      writeFileSync(join(dir, 'onnx', 'lm_head.onnx_data'), Buffer.alloc(3000));
      writeFileSync(join(dir, 'onnx', 'decoder_model_merged.notap.onnx'), Buffer.alloc(700));
      expect((await onnxPackageDims(dir, TINY_SPEC)).weightBytes).toBe(6300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stays within 25% of the peaks the peer benchmark measured for loupe inspect (docs/benchmarks.md, 2026-12-02)', () => {
    // The peer benchmark's tiny Qwen2.5-VL package, as onnxPackageDims reads it.
    const dims: ModelDims = {
      numLayers: 4,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 16,
      hiddenSize: 64,
      weightBytes: 1450985,
      storedBytesPerParam: 4,
      patchSize: 14,
      mergeSize: 2,
      visionHidden: 32,
      scoresMaterialised: false,
      perPatchOverheadBytes: ONNX_VISION_PER_PATCH_BYTES,
    };
    const measuredMiB: [number, number][] = [
      [256, 363],
      [1024, 390],
      [2304, 437],
      [4096, 509],
      [9216, 661],
      [16384, 855],
    ];
    for (const [tokens, mib] of measuredMiB) {
      const side = 28 * Math.round(Math.sqrt(tokens));
      const est = estimateMemory(dims, {
        dtype: 'fp32',
        device: 'cpu',
        protocol: 'hf',
        maxPixels: side * side,
        checkpointMaxPixels: 16 * 1024 * 1024,
        maxNewTokens: 1,
      });
      expect(est.visualTokens).toBe(tokens);
      expect(Math.abs(est.total / (mib * 1024 ** 2) - 1), `${tokens} visual tokens`).toBeLessThanOrEqual(0.25);
    }
  });
});
