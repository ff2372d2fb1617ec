// TEST DOUBLE: a tiny in-memory EngineHandler for transport, server, worker and CLI tests.
// It implements the contract with canned data; it is never used by the app itself.
import type { EngineEvent, EngineHandler, MethodName, ParamsOf, ResultOf } from '../../contract/api.js';
import type { AnalysisResult, BenchInfo, ModelInfo } from '../../contract/types.js';
import { CancelledError, InvalidModelError, NotFoundError } from '../../engine/errors.js';
import { preprocessInfoDouble } from '../../engine/preprocess/testing.js';

export function modelInfoDouble(dir: string): ModelInfo {
  return {
    id: dir,
    name: 'double',
    dir,
    family: 'qwen2_vl',
    numLayers: 2,
    numHeads: 2,
    numKvHeads: 2,
    defaultLayer: 2,
    hash: 'double',
    bundled: false,
    issues: [],
  };
}

export function benchInfoDouble(path: string): BenchInfo {
  return { id: path, name: 'double-bench', path, format: 'zoombench-json', itemCount: 2, dimensions: [], issues: [], bundled: false };
}

export function analysisDouble(question: string): AnalysisResult {
  const cells = 4;
  const data = new Float32Array(1 * 2 * 2 * cells).map((_, i) => i / 16);
  const geometry = { imageWidth: 64, imageHeight: 64, resizedWidth: 56, resizedHeight: 56, gridH: 2, gridW: 2, tokenPx: 28 };
  return {
    modelId: '/models/double',
    provider: 'cpu',
    question,
    prompt: `<prompt>${question}`,
    answer: 'A',
    tokens: [{ id: 7, text: 'A', prob: 0.75 }],
    geometry,
    attention: { numQueries: 1, numLayers: 2, numHeads: 2, gridH: 2, gridW: 2, data },
    preprocess: preprocessInfoDouble(geometry),
    timings: { preprocessMs: 1, visionMs: 1, prefillMs: 1, decodeMs: 1, metricsMs: Number.NaN },
  };
}

/** Waits until the signal fires, then throws CancelledError: stands in for a long batch run. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new CancelledError());
    signal.addEventListener('abort', () => reject(new CancelledError()), { once: true });
  });
}

export class EngineHandlerDouble implements EngineHandler {
  readonly calls: { method: MethodName; params: unknown }[] = [];
  readonly aborted: MethodName[] = [];
  private readonly listeners = new Set<(event: EngineEvent) => void>();

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    for (const l of this.listeners) l(event);
  }

  async handle<M extends MethodName>(method: M, params: ParamsOf<M>, signal: AbortSignal): Promise<ResultOf<M>> {
    this.calls.push({ method, params });
    signal.addEventListener('abort', () => this.aborted.push(method), { once: true });
    return (await this.route(method, params as Record<string, unknown>, signal)) as ResultOf<M>;
  }

  private async route(method: MethodName, p: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    switch (method) {
      case 'engine.info':
        return { version: 'double', resourcesDir: '/res', runsDir: '/runs' };
      case 'models.list':
        return [modelInfoDouble('/models/double')];
      case 'models.open':
        return modelInfoDouble(String(p.dir));
      case 'models.load':
        if (p.modelId !== '/models/double')
          throw new InvalidModelError(`the test double only has /models/double, not ${String(p.modelId)}`, { file: String(p.modelId) });
        return { modelId: p.modelId, provider: 'cpu', providerAttempts: [{ provider: 'cpu', ok: true }] };
      case 'bench.list':
        return [];
      case 'bench.open':
        return benchInfoDouble(String(p.path));
      case 'images.check':
        return { name: 'image', width: 1, height: 1, warnings: [] };
      case 'images.get': {
        const source = p.source as { kind: string; bytes?: Uint8Array };
        const bytes = source.kind === 'bytes' && source.bytes ? source.bytes : new Uint8Array([1, 2, 3]);
        return { mime: 'image/png', bytes, width: 1, height: 1 };
      }
      case 'analysis.run':
        this.emit({ type: 'analysis.stage', requestId: 'r1', stage: 'vision' });
        return { ...analysisDouble(String(p.question)), ...(p.box ? { box: p.box } : {}) };
      case 'batch.start':
        this.emit({ type: 'batch.progress', runId: 'run-1', done: 0, total: 10, failed: 0, itemsPerSecond: 0, etaSeconds: null });
        return untilAborted(signal);
      default:
        throw new NotFoundError(`the test double does not implement ${method}`);
    }
  }
}
