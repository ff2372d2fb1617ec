// runBatch: every item x view of a bench through the analyzer, judged and measured, appended to the
// run's store. Resumable (skips keys already stored), shardable (i/n), cancellable (AbortSignal:
// the current item is either written completely or not at all), and one failing item never stops
// the run: its error is recorded instead.
import { mkdirSync } from 'node:fs';
import type { EngineEvent } from '../../contract/api.js';
import type { BatchRecord, BatchSpec, RunInfo, View } from '../../contract/types.js';
import type { BenchItem } from '../bench/types.js';
import { BadRequestError, CancelledError } from '../errors.js';
import { newRunId, recordKey, settingsHash } from './keys.js';
import { validateAnalyses } from './analyses-spec.js';
import { buildRecord, errorRecord, type RecordContext } from './records.js';
import { ProgressRate } from './progress-rate.js';
import { RunLock } from './run-lock.js';
import { claimRunFolder, ResultStore } from './store.js';
import type { BatchDeps, DualInput, RunMeta } from './types.js';

export interface RunBatchOptions {
  runsDir: string;
  /** Resume (or name) this run; when absent a new id is made and its folder created (never an existing one). */
  runId?: string;
  /** Re-run units whose stored record carries an error (default true): errors are often transient. */
  retryFailed?: boolean;
  now?: () => Date;
}

const ALL_VIEWS: readonly View[] = ['global', 'regional'];

export function validateSpec(spec: BatchSpec, numLayers: number): void {
  if (spec.views.length === 0 || !spec.views.every((v) => ALL_VIEWS.includes(v)) || new Set(spec.views).size !== spec.views.length) {
    throw new BadRequestError(`views must be a non-empty list of distinct "global" / "regional"; got ${JSON.stringify(spec.views)}.`, {
      field: 'views',
    });
  }
  for (const l of spec.layers) {
    if (!Number.isInteger(l) || l < 1 || l > numLayers)
      throw new BadRequestError(`Layer ${l} is out of range: this model has layers 1..${numLayers} (1-based).`, { field: 'layers' });
  }
  if (!Number.isInteger(spec.maxNewTokens) || spec.maxNewTokens < 1)
    throw new BadRequestError(`maxNewTokens must be a positive integer; got ${spec.maxNewTokens}.`, { field: 'maxNewTokens' });
  if (spec.shard) {
    const { index, count } = spec.shard;
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new BadRequestError(`shard must be i/n with 0 <= i < n; got ${index}/${count}.`, { field: 'shard' });
    }
  }
  if (spec.limit !== undefined && (!Number.isInteger(spec.limit) || spec.limit < 1))
    throw new BadRequestError(`limit must be a positive integer; got ${spec.limit}.`, { field: 'limit' });
  validateAnalyses(spec, numLayers);
}

/** Items of this run: the first `limit` bench items, then those whose index % n == i. */
export function selectItems(items: readonly BenchItem[], spec: Pick<BatchSpec, 'limit' | 'shard'>): BenchItem[] {
  const limited = spec.limit !== undefined ? items.slice(0, spec.limit) : [...items];
  if (!spec.shard) return limited;
  const { index, count } = spec.shard;
  return limited.filter((_, i) => i % count === index);
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError');
}

/** A run whose folder is locked and whose remaining work is known: what `executeRun` works through. */
export interface OpenedRun {
  store: ResultStore;
  lock: RunLock;
  meta: RunMeta;
  spec: BatchSpec;
  deps: BatchDeps;
  settingsHash: string;
  work: { item: BenchItem; views: View[] }[];
  total: number;
  done: number;
  failed: number;
  now: () => Date;
}

/**
 * Everything that can refuse a run, done synchronously so the caller (batch.start / batch.resume) can
 * answer with the error: the spec, the run folder's lock (one writer per run), a resume whose model or
 * settings differ. Returns with the lock held; `executeRun` releases it.
 */
export function openRun(spec: BatchSpec, deps: BatchDeps, options: RunBatchOptions): OpenedRun {
  const { model, bench } = deps;
  validateSpec(spec, model.numLayers);
  const now = options.now ?? (() => new Date());
  const retryFailed = options.retryFailed ?? true;
  const store = new ResultStore(options.runsDir, options.runId ?? claimRunFolder(options.runsDir, () => newRunId(now(), spec.shard)));
  const runId = store.runId;
  const sHash = settingsHash(spec);
  mkdirSync(store.dir, { recursive: true });
  const lock = RunLock.acquire(store.dir, runId);
  try {
    let meta: RunMeta;
    if (store.exists()) {
      meta = store.readMeta();
      if (meta.model.hash !== model.hash) {
        throw new BadRequestError(
          `Run ${runId} was made with model hash ${meta.model.hash} (${meta.model.name}); the model given has hash ${model.hash}. Start a new run instead of resuming.`,
          { field: 'modelId' },
        );
      }
      if (meta.settingsHash !== sHash) {
        throw new BadRequestError(
          `Run ${runId} was made with different settings (maxNewTokens, layers, preprocessing protocol/max pixels, self-zoom, faithfulness or activation); start a new run for these settings.`,
          {
            field: 'spec',
          },
        );
      }
    } else {
      const startedAt = now().toISOString();
      meta = {
        runId,
        spec,
        settingsHash: sHash,
        model: {
          id: model.id,
          name: model.name,
          hash: model.hash,
          numLayers: model.numLayers,
          defaultLayer: model.defaultLayer,
          ...(model.parity
            ? { parity: { state: model.parity.state, ...(model.parity.warning ? { warning: model.parity.warning } : {}) } }
            : {}),
        },
        bench: { id: bench.info.id, name: bench.info.name, path: bench.info.path },
        state: 'running',
        total: 0,
        startedAt,
        updatedAt: startedAt,
      };
    }

    const items = selectItems(bench.items, spec);
    const total = items.length * spec.views.length;
    const existing = new Map(store.read().records.map((r) => [r.key, r] as const));
    let done = 0;
    let failed = 0;
    const work: { item: BenchItem; views: View[] }[] = [];
    for (const item of items) {
      const views: View[] = [];
      for (const view of spec.views) {
        const prev = existing.get(recordKey(item.id, view, model.hash, sHash));
        if (prev === undefined || (prev.error !== undefined && retryFailed)) views.push(view);
        else {
          done++;
          if (prev.error !== undefined) failed++;
        }
      }
      if (views.length > 0) work.push({ item, views });
    }
    meta = { ...meta, state: 'running', total, updatedAt: now().toISOString() };
    delete meta.error;
    store.writeMeta(meta);
    return { store, lock, meta, spec, deps, settingsHash: sHash, work, total, done, failed, now };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** A view's image, read and decoded lazily by the analyzer; its failure fails that view only. */
function itemInput(item: BenchItem, spec: BatchSpec, views: readonly View[]): DualInput {
  return {
    itemId: item.id,
    source: { row: item.row, imageColumn: item.imageColumn, cropColumn: item.cropColumn },
    readImage: () => item.readImage(),
    ...(views.includes('regional') && item.hasCrop ? { readCrop: async () => (await item.readCrop()) ?? Buffer.alloc(0) } : {}),
    question: item.question,
    maxNewTokens: spec.maxNewTokens,
    ...(spec.preprocess ? { preprocess: spec.preprocess } : {}),
    ...(item.bbox ? { bbox: item.bbox } : {}),
    ...(spec.selfZoom ? { selfZoom: spec.selfZoom } : {}),
    ...(spec.faithfulness ? { faithfulness: spec.faithfulness } : {}),
    ...(spec.activation ? { activation: spec.activation } : {}),
  };
}

/** Works through an opened run: appends one record per item x view, emits progress, releases the lock. */
export async function executeRun(run: OpenedRun, signal: AbortSignal, emit: (event: EngineEvent) => void): Promise<RunInfo> {
  const { store, spec, deps, now } = run;
  const { model } = deps;
  const runId = store.runId;
  let { done, failed } = run;
  const { total } = run;
  const meta = run.meta;

  // Throughput over the last completions (progress-rate.ts), so the ETA follows the current pace.
  const rate = new ProgressRate();
  rate.add(Date.now(), 0);
  const progress = () => {
    const t = Date.now();
    emit({ type: 'batch.progress', runId, done, total, failed, itemsPerSecond: rate.perSecond(t), etaSeconds: rate.eta(total - done, t) });
  };
  const write = (record: BatchRecord) => {
    store.append(record);
    done++;
    if (record.error !== undefined) failed++;
    emit({ type: 'batch.item', runId, record });
  };

  let state: RunInfo['state'] = 'finished';
  let fatal: unknown;
  try {
    store.openForAppend();
    progress();
    for (const { item, views } of run.work) {
      if (signal.aborted) {
        state = 'cancelled';
        break;
      }
      const ctx = (view: View): RecordContext => ({
        item,
        view,
        spec,
        modelHash: model.hash,
        settingsHash: run.settingsHash,
        gridLayer: model.defaultLayer,
        now,
      });
      let results: Awaited<ReturnType<BatchDeps['analyzeDual']>>;
      try {
        results = await deps.analyzeDual(itemInput(item, spec, views), views, signal);
      } catch (err) {
        if (isAbort(err, signal)) {
          state = 'cancelled';
          break; // drop the item: nothing of it was written
        }
        for (const view of views) write(errorRecord(ctx(view), err));
        rate.add(Date.now(), views.length);
        progress();
        continue;
      }
      if (signal.aborted && views.some((v) => isAbort(results.errors?.[v], signal))) {
        state = 'cancelled';
        break;
      }
      // Build every record first, then write them back to back: no await between the writes, so a
      // cancellation can never leave one view of an item written and the other not.
      const records = views.map((view) => {
        const viewError = results.errors?.[view];
        if (viewError !== undefined) return errorRecord(ctx(view), viewError);
        const result = results[view];
        if (!result) return errorRecord(ctx(view), new Error(`The analyzer returned no ${view} result.`));
        try {
          return buildRecord(ctx(view), result);
        } catch (err) {
          return errorRecord(ctx(view), err);
        }
      });
      for (const r of records) write(r);
      rate.add(Date.now(), records.length);
      progress();
    }
  } catch (err) {
    state = 'failed';
    fatal = err;
  } finally {
    store.close();
    const error = fatal === undefined ? undefined : fatal instanceof Error ? fatal.message : String(fatal);
    try {
      store.writeMeta({ ...meta, state, updatedAt: now().toISOString(), ...(error ? { error } : {}) });
    } finally {
      run.lock.release();
    }
    emit({ type: 'batch.finished', runId, state, ...(error ? { error } : {}) });
  }
  if (fatal !== undefined) throw fatal;
  return {
    runId,
    spec: meta.spec,
    modelName: meta.model.name,
    modelHash: meta.model.hash,
    benchName: meta.bench.name,
    done,
    total,
    failed,
    state,
    startedAt: meta.startedAt,
  };
}

/** openRun then executeRun: a whole run in one call (the CLI's in-process paths and tests). */
export async function runBatch(
  spec: BatchSpec,
  deps: BatchDeps,
  signal: AbortSignal,
  emit: (event: EngineEvent) => void,
  options: RunBatchOptions,
): Promise<RunInfo> {
  return executeRun(openRun(spec, deps, options), signal, emit);
}
