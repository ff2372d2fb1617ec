import { describe, expect, it } from 'vitest';
import { estimateMemory, onnxVisionPerPatchBytes, RUNTIME_BYTES, type ModelDims, type RunShape } from './memory-estimate.js';
import { checkOnnxRequestFits } from './request-guard.js';
import type { ModelRuntime } from './runtime.js';

// The exporter's fp32 package of Qwen2.5-VL-3B as onnxPackageDims reads it (docs/benchmarks.md, "ONNX engine at full size").
const DIMS: ModelDims = {
  numLayers: 36,
  numHeads: 16,
  numKvHeads: 2,
  headDim: 128,
  hiddenSize: 2048,
  weightBytes: 16.26e9,
  storedBytesPerParam: 4,
  patchSize: 14,
  mergeSize: 2,
  visionHidden: 1280,
  scoresMaterialised: false,
  perPatchOverheadBytes: onnxVisionPerPatchBytes(1280),
};
const GIB = 1024 ** 3;
const AFTER_LOAD = 16 * GIB;

/** The parts of a loaded ONNX runtime the guard reads. */
function runtime(over: Partial<Pick<ModelRuntime, 'provider' | 'maxPixels'>> = {}): ModelRuntime {
  const rt = {
    provider: 'cpu',
    imageConfig: { maxPixels: 12845056 },
    memory: { dims: DIMS, rssAfterLoad: AFTER_LOAD },
    ...over,
  };
  return rt as unknown as ModelRuntime;
}

const beyondWeights = (shape: Omit<RunShape, 'dtype' | 'device'>): number => {
  const est = estimateMemory(DIMS, { dtype: 'fp32', device: 'cpu', ...shape });
  return est.total - est.weights - est.runtime;
};

describe('ONNX per-request memory guard', () => {
  const paper = { protocol: 'paper' as const, maxNewTokens: 4 };
  const hf = { protocol: 'hf' as const, maxNewTokens: 4 };

  it('lets a paper-budget request through when what it needs beyond the weights is free', async () => {
    const need = beyondWeights(paper);
    await expect(
      checkOnnxRequestFits(
        runtime(),
        paper,
        async () => need / 0.9 + 1,
        () => AFTER_LOAD,
      ),
    ).resolves.toBeUndefined();
  });

  it('refuses an hf-protocol request (16,384 visual tokens) naming the limit and a pixel budget that fits', async () => {
    const available = 6 * GIB;
    let error: unknown;
    await checkOnnxRequestFits(
      runtime(),
      hf,
      async () => available,
      () => AFTER_LOAD,
    ).catch((err: unknown) => (error = err));
    expect((error as { field?: string }).field).toBe('maxPixels');
    const message = (error as Error).message;
    expect(message).toMatch(
      /beyond the loaded weights.*16384 visual tokens at 12845056 px.*available RAM \(MemAvailable, plus onnxruntime's arena/,
    );
    const px = Number(/--max-pixels (\d+)/.exec(message)?.[1]);
    expect(beyondWeights({ ...hf, maxPixels: px })).toBeLessThanOrEqual(available * 0.9 + RUNTIME_BYTES);
    // the suggested budget then passes the guard itself
    await expect(
      checkOnnxRequestFits(
        runtime(),
        { ...hf, maxPixels: px },
        async () => available,
        () => AFTER_LOAD,
      ),
    ).resolves.toBeUndefined();
  });

  it("counts onnxruntime's arena from earlier requests as available (it is reused, not allocated again)", async () => {
    const need = beyondWeights(paper);
    const free = need / 2; // what /proc says is free after an earlier item left its arena in place
    await expect(
      checkOnnxRequestFits(
        runtime(),
        paper,
        async () => free,
        () => AFTER_LOAD,
      ),
    ).rejects.toThrow(/beyond the loaded weights/);
    await expect(
      checkOnnxRequestFits(
        runtime(),
        paper,
        async () => free,
        () => AFTER_LOAD + need,
      ),
    ).resolves.toBeUndefined();
  });

  it("applies the engine's pixel budget (LOUPE_MAX_PIXELS) to a request without its own", async () => {
    const capped = 1505280;
    const available = (beyondWeights({ ...hf, maxPixels: capped }) * 1.05) / 0.9;
    await expect(
      checkOnnxRequestFits(
        runtime(),
        hf,
        async () => available,
        () => AFTER_LOAD,
      ),
    ).rejects.toThrow(/16384 visual tokens/);
    await expect(
      checkOnnxRequestFits(
        runtime({ maxPixels: capped }),
        hf,
        async () => available,
        () => AFTER_LOAD,
      ),
    ).resolves.toBeUndefined();
  });

  it('leaves GPU providers to onnxruntime (their memory is not MemAvailable)', async () => {
    await expect(
      checkOnnxRequestFits(
        runtime({ provider: 'cuda' }),
        hf,
        async () => 0,
        () => AFTER_LOAD,
      ),
    ).resolves.toBeUndefined();
  });
});
