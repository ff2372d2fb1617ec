// Model registry of the engine host: discovery (bundled + user folders), loading with provider choice,
// unloading (sessions disposed), and one queue per loaded model so analyses and batch items on the same
// sessions run one at a time (predictable memory; onnxruntime already uses every core for one run).
import { join, resolve } from 'node:path';
import type { EngineEvent } from '../../contract/api.js';
import type { LoadedModel, ModelInfo, ProviderChoice, TorchDtype } from '../../contract/types.js';
import { BadRequestError, throwIfAborted } from '../errors.js';
import { discoverModels, type DiscoveryCache } from '../model/discover.js';
import { loadRuntime, loadedModelOf, type AnyRuntime } from '../model/runtime.js';
import { validateAnyModelDir } from '../model/validate-any.js';
import { loadTorchRuntime } from '../torch/runtime.js';
import type { EngineHostConfig } from './options.js';

const PROVIDERS: ProviderChoice[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export interface LoadOptions {
  signal?: AbortSignal;
  /** PyTorch engine: the compute dtype (the engine's LOUPE_DTYPE when absent). */
  dtype?: TorchDtype;
  /** The budget the memory guard plans this load for (the caller's own); the engine's when absent. Not a cap. */
  planPixels?: number;
}

interface Loaded {
  rt: AnyRuntime;
  choice: ProviderChoice;
  dtype?: TorchDtype;
}

export class ModelRegistry {
  private readonly userDirs: string[] = [];
  private readonly infos = new Map<string, ModelInfo>();
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly discovery: DiscoveryCache = new Map();

  constructor(
    private readonly cfg: EngineHostConfig,
    private readonly emit: (e: EngineEvent) => void,
  ) {
    this.userDirs.push(...cfg.modelDirs);
  }

  private get bundledRoot(): string {
    return join(this.cfg.resourcesDir, 'models');
  }

  async list(): Promise<ModelInfo[]> {
    const infos = await discoverModels(
      [{ dir: this.bundledRoot, bundled: true }, ...this.userDirs.map((dir) => ({ dir, bundled: false }))],
      this.discovery,
    );
    for (const info of infos) this.infos.set(info.id, info);
    return infos;
  }

  /** Validates a user-chosen folder and remembers it; issues are returned, not thrown, so the UI can list them. */
  async open(dir: string): Promise<ModelInfo> {
    const abs = resolve(dir);
    const bundled = abs.startsWith(this.bundledRoot + '/');
    const { info } = await validateAnyModelDir(abs, { bundled });
    if (!bundled && !this.userDirs.includes(abs)) this.userDirs.push(abs);
    this.infos.set(info.id, info);
    return info;
  }

  async info(modelId: string): Promise<ModelInfo> {
    return this.infos.get(modelId) ?? (await this.open(modelId));
  }

  isLoaded(modelId: string): boolean {
    return this.loaded.has(resolve(modelId));
  }

  async load(modelId: string, choice: ProviderChoice, options: LoadOptions = {}): Promise<LoadedModel> {
    const { planPixels } = options;
    if (!PROVIDERS.includes(choice))
      throw new BadRequestError(`provider must be one of ${PROVIDERS.join(', ')}; got ${JSON.stringify(choice)}.`, { field: 'provider' });
    if (planPixels !== undefined && !(Number.isInteger(planPixels) && planPixels > 0))
      throw new BadRequestError(`maxPixels must be a positive integer; got ${JSON.stringify(planPixels)}.`, { field: 'maxPixels' });
    return loadedModelOf((await this.ensure(resolve(modelId), choice, options)).rt);
  }

  private async ensure(id: string, choice: ProviderChoice, { signal, dtype, planPixels }: LoadOptions = {}): Promise<Loaded> {
    const current = this.loaded.get(id);
    const sameDtype = dtype === undefined || current?.dtype === dtype;
    if (current && (current.choice === choice || choice === 'auto') && sameDtype) return current;
    const pending = this.loading.get(id);
    if (pending) return pending;
    const task = (async (): Promise<Loaded> => {
      if (current) await this.unload(id);
      const info = await this.info(id);
      throwIfAborted(signal);
      const rt: AnyRuntime =
        info.engine === 'pytorch'
          ? await loadTorchRuntime(info.dir, choice, {
              bundled: info.bundled,
              dtype: dtype ?? this.cfg.torchDtype,
              protocol: this.cfg.protocol,
              ...(this.cfg.maxPixels !== undefined ? { maxPixels: this.cfg.maxPixels } : {}),
              ...(planPixels !== undefined ? { planPixels } : {}),
              ...(signal ? { signal } : {}),
              log: (line) => this.emit({ type: 'engine.log', level: 'info', message: `[pytorch] ${line}` }),
            })
          : await loadRuntime(info.dir, choice, {
              bundled: info.bundled,
              protocol: this.cfg.protocol,
              ...(this.cfg.maxPixels !== undefined ? { maxPixels: this.cfg.maxPixels } : {}),
              ...(planPixels !== undefined ? { planPixels } : {}),
              ...(signal ? { signal } : {}),
            });
      const entry: Loaded = { rt, choice, ...(rt.kind === 'torch' ? { dtype: rt.dtype } : {}) };
      this.loaded.set(id, entry);
      this.infos.set(id, rt.info);
      this.emit({ type: 'model.loaded', model: loadedModelOf(rt) });
      return entry;
    })();
    this.loading.set(id, task);
    try {
      return await task;
    } finally {
      this.loading.delete(id);
    }
  }

  /** The loaded runtime, loading it on `auto` when needed (the CLI and batch runs need not call load first). */
  async runtime(modelId: string, signal?: AbortSignal): Promise<AnyRuntime> {
    return (await this.ensure(resolve(modelId), 'auto', signal ? { signal } : {})).rt;
  }

  /** Runs `fn` when every earlier job on this model has finished. */
  exclusive<T>(modelId: string, fn: () => Promise<T>): Promise<T> {
    const id = resolve(modelId);
    const prev = this.queues.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return run;
  }

  /** Disposes the sessions once running jobs on the model have finished. */
  async unload(modelId: string): Promise<boolean> {
    const id = resolve(modelId);
    const entry = this.loaded.get(id);
    if (!entry) return false;
    this.loaded.delete(id);
    await this.exclusive(id, () => entry.rt.dispose());
    return true;
  }

  async disposeAll(): Promise<void> {
    for (const id of [...this.loaded.keys()]) await this.unload(id);
  }
}
