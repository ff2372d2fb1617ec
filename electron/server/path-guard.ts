// Wraps an EngineHandler so that every path in a request from the UI was opened by the user first
// (see PathRegistry), and every model or bench id was handed out by the engine through this guard.
// Which parameters are paths, images and ids is the contract's table (electron/contract/methods.ts).
// Used by the web server and by the desktop shell's ipc-main: the renderer is never trusted with paths.
import type { EngineHandler, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import { issuedIds, paramRules, type ParamKind } from '../contract/methods.js';
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

  /** Checks each parameter the contract's table names (electron/contract/methods.ts); a name that is no method is refused. */
  private async check(method: MethodName, p: Record<string, unknown>): Promise<void> {
    const rules = paramRules(method);
    if (!rules) throw new BadRequestError(`Unknown method ${String(method)}.`, { field: 'method' });
    for (const [name, rule] of rules) {
      const value = p[name];
      if (value === undefined && rule.optional) continue;
      await this.checkParam(rule.kind, value, name);
    }
  }

  private async checkParam(kind: ParamKind, value: unknown, field: string): Promise<void> {
    switch (kind) {
      case 'path':
        return this.registry.check(value as string, field);
      case 'image':
        return this.image(value, field);
      case 'modelId':
        return this.model(value);
      case 'benchId':
        return this.bench(value);
      case 'runId':
        // A name inside the engine's own runs folder: the run store refuses anything that is not a plain name.
        return;
      default: {
        const unhandled: never = kind;
        throw new BadRequestError(`No check for parameter kind ${String(unhandled)}.`, { field });
      }
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
    const issued = issuedIds(method);
    if (!issued) return;
    const ids = issued === 'modelIds' ? this.modelIds : this.benchIds;
    for (const info of (Array.isArray(result) ? result : [result]) as (ModelInfo | BenchInfo)[]) ids.add(info.id);
  }
}
