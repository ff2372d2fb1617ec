// Wraps an EngineHandler so that every path in a request from the UI was opened by the user first
// (see PathRegistry), and every model or bench id was handed out by the engine through this guard.
// Used by the web server and by the desktop shell's ipc-main: the renderer is never trusted with paths.
import type { EngineHandler, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import type { BenchInfo, ImageSource, ModelInfo } from '../contract/types.js';
import { BadRequestError, ForbiddenError } from '../engine/errors.js';
import type { PathRegistry } from './path-registry.js';

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new BadRequestError(`${field} must be an object.`, { field });
  return value as Record<string, unknown>;
}

export class GuardedEngine implements EngineHandler {
  /** Ids the engine returned from list/open calls: only those may be used afterwards. */
  private readonly modelIds = new Set<string>();
  private readonly benchIds = new Set<string>();

  constructor(
    private readonly inner: EngineHandler,
    private readonly registry: PathRegistry,
  ) {}

  onEvent(listener: Parameters<EngineHandler['onEvent']>[0]): () => void {
    return this.inner.onEvent(listener);
  }

  async handle<M extends MethodName>(method: M, params: ParamsOf<M>, signal: AbortSignal): Promise<ResultOf<M>> {
    await this.check(method, asRecord(params, 'params'));
    const result = await this.inner.handle(method, params, signal);
    this.remember(method, result);
    return result;
  }

  private async check(method: MethodName, p: Record<string, unknown>): Promise<void> {
    switch (method) {
      case 'models.open':
        return this.registry.check(p.dir as string, 'dir');
      case 'bench.open':
        return this.registry.check(p.path as string, 'path');
      case 'models.load':
      case 'models.unload':
        return this.model(p.modelId);
      case 'analysis.run':
      case 'analysis.dual':
        await this.model(p.modelId);
        await this.image(p.image, 'image');
        if (p.cropImage !== undefined) await this.image(p.cropImage, 'cropImage');
        return;
      case 'images.get':
        return this.image(p.source, 'source');
      case 'bench.items':
        return this.bench(p.benchId);
      case 'batch.start':
      case 'batch.matching':
        await this.model(p.modelId);
        return this.bench(p.benchId);
      case 'batch.export':
        if (p.dest !== undefined) this.registry.check(p.dest as string, 'dest');
        return;
      default:
        // The remaining methods take no paths (run ids live in the engine's own runs folder).
        return;
    }
  }

  private async model(id: unknown): Promise<void> {
    if (typeof id !== 'string') throw new BadRequestError('modelId must be a string.', { field: 'modelId' });
    if (this.modelIds.has(id)) return;
    // A fresh page (or a reconnect) may use an id before listing: refresh once from the engine.
    this.remember('models.list', await this.inner.handle('models.list', {}, AbortSignal.timeout(60_000)));
    if (!this.modelIds.has(id)) {
      throw new ForbiddenError(`Unknown model ${id}: open the model folder first (models.open).`, { field: 'modelId' });
    }
  }

  private async bench(id: unknown): Promise<void> {
    if (typeof id !== 'string') throw new BadRequestError('benchId must be a string.', { field: 'benchId' });
    if (this.benchIds.has(id)) return;
    this.remember('bench.list', await this.inner.handle('bench.list', {}, AbortSignal.timeout(60_000)));
    if (!this.benchIds.has(id)) {
      throw new ForbiddenError(`Unknown benchmark ${id}: open it first (bench.open).`, { field: 'benchId' });
    }
  }

  private async image(source: unknown, field: string): Promise<void> {
    const s = asRecord(source, field) as ImageSource | Record<string, unknown>;
    if (s.kind === 'path') this.registry.check((s as { path: string }).path, `${field}.path`);
    else if (s.kind === 'benchItem') await this.bench((s as { benchId: unknown }).benchId);
    else if (s.kind !== 'bytes') throw new BadRequestError(`${field}.kind must be path, bytes or benchItem.`, { field: `${field}.kind` });
  }

  private remember(method: MethodName, result: unknown): void {
    if (method === 'models.list') for (const m of result as ModelInfo[]) this.modelIds.add(m.id);
    if (method === 'models.open') this.modelIds.add((result as ModelInfo).id);
    if (method === 'bench.list') for (const b of result as BenchInfo[]) this.benchIds.add(b.id);
    if (method === 'bench.open') this.benchIds.add((result as BenchInfo).id);
  }
}
