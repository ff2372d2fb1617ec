// Batch runs from the host's side: starts runBatch in the background (batch.start returns at once with
// the run id; progress arrives as events), supplies the analyzer (both views on the loaded model, queued
// with interactive analyses), and serves the run store for list/summary/records/export/compare.
import { activationUnsupported } from '../analysis/activation-unembedding.js';
import type { EngineEvent } from '../../contract/api.js';
import type { ExportFormat } from '../../contract/api.js';
import type { BatchRecord, BatchSpec, CompareSummary, RunInfo, RunSummary, View } from '../../contract/types.js';
import { analyzeViews } from '../analysis/views.js';
import {
  annotateRun,
  executeRun,
  listRuns,
  matchingRuns,
  openRun,
  ResultStore,
  summarizeRun,
  validateSpec,
  type BatchDeps,
} from '../batch/index.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { assertUsable } from '../model/runtime.js';
import type { BenchRegistry } from './benches.js';
import type { ModelRegistry } from './models.js';
import type { EngineHostConfig } from './options.js';
import { compareRunsInDir, exportRunInDir } from './batch-io.js';
import { checkChoice } from '../preprocess/pipeline.js';
import { settleChoice } from '../preprocess/protocol.js';

interface Active {
  controller: AbortController;
  done: Promise<void>;
}

const VIEWS: View[] = ['global', 'regional'];

export class BatchController {
  private readonly active = new Map<string, Active>();

  constructor(
    private readonly cfg: EngineHostConfig,
    private readonly models: ModelRegistry,
    private readonly benches: BenchRegistry,
    private readonly emit: (e: EngineEvent) => void,
  ) {}

  private store(runId: string): ResultStore {
    const store = new ResultStore(this.cfg.runsDir, runId);
    if (!store.exists()) throw new NotFoundError(`No run ${runId} in ${this.cfg.runsDir}.`, { file: store.dir });
    return store;
  }

  /** Starts a run: resumes `runId`, or without one creates a new run (its folder made by openRun). */
  private async launch(spec: BatchSpec, resumeId?: string): Promise<{ runId: string }> {
    if (resumeId !== undefined && this.active.has(resumeId))
      throw new BadRequestError(`Run ${resumeId} is already running.`, { field: 'runId' });
    const model = await this.models.info(spec.modelId);
    assertUsable(model);
    validateSpec(spec, model.numLayers);
    const bench = await this.benches.get(spec.benchId);
    const modelId = model.id;
    if (spec.activation) {
      // Refused before any item runs (else every record would carry the same error).
      const why = activationUnsupported(await this.models.runtime(modelId));
      if (why) throw new BadRequestError(why, { field: 'activation', file: model.dir });
    }
    const deps: BatchDeps = {
      model,
      bench,
      analyzeDual: (input, views, signal) =>
        this.models.exclusive(modelId, async () => analyzeViews(await this.models.runtime(modelId, signal), input, views, { signal })),
    };
    // Synchronous: a run locked by another process, or a resume with other settings, is refused here,
    // as the answer to batch.start / batch.resume.
    const opened = openRun(spec, deps, { runsDir: this.cfg.runsDir, ...(resumeId !== undefined ? { runId: resumeId } : {}) });
    const runId = opened.store.runId;
    const controller = new AbortController();
    const done = executeRun(opened, controller.signal, this.emit).then(
      () => undefined,
      (err: unknown) => {
        // runBatch already emitted batch.finished with the error; keep a log line for the console too.
        this.emit({
          type: 'engine.log',
          level: 'error',
          message: `Run ${runId} failed: ${err instanceof Error ? err.message : String(err)}`,
        });
      },
    );
    const entry = { controller, done: done.finally(() => this.active.delete(runId)) };
    this.active.set(runId, entry);
    return { runId };
  }

  async start(spec: BatchSpec): Promise<{ runId: string }> {
    if (!spec || typeof spec !== 'object') throw new BadRequestError('batch.start needs a BatchSpec.', { field: 'params' });
    const views = Array.isArray(spec.views) ? spec.views.filter((v) => VIEWS.includes(v)) : [];
    return this.launch(await this.settled({ ...spec, views }));
  }

  /** The spec with its preprocessing named (the request's, else the package's, else paper), as run.json keeps it. */
  private async settled(spec: BatchSpec): Promise<BatchSpec> {
    checkChoice(spec.preprocess);
    const model = await this.models.info(spec.modelId);
    return { ...spec, preprocess: settleChoice(spec.preprocess, model.manifest) };
  }

  async resume(runId: string): Promise<{ runId: string }> {
    const meta = this.store(runId).readMeta();
    return this.launch({ ...meta.spec, modelId: meta.model.id, benchId: meta.bench.id }, runId);
  }

  cancel(runId: string): boolean {
    const run = this.active.get(runId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  async cancelAll(): Promise<void> {
    const runs = [...this.active.values()];
    for (const r of runs) r.controller.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  /** Resolves when the run is no longer active (tests, CLI). */
  async wait(runId: string): Promise<void> {
    await this.active.get(runId)?.done;
  }

  list(): RunInfo[] {
    return listRuns(this.cfg.runsDir, new Set(this.active.keys()));
  }

  /** Runs of exactly this spec with the model's current files: the app offers them instead of a new run. */
  async matching(spec: BatchSpec): Promise<RunInfo[]> {
    if (!spec || typeof spec !== 'object') throw new BadRequestError('batch.matching needs a BatchSpec.', { field: 'params' });
    const model = await this.models.info(spec.modelId);
    const bench = await this.benches.get(spec.benchId);
    return matchingRuns(this.cfg.runsDir, await this.settled(spec), model.hash, bench.info.id, new Set(this.active.keys()));
  }

  annotate(runId: string, patch: { name?: string; notes?: string }): RunInfo {
    return annotateRun(this.cfg.runsDir, runId, patch, new Set(this.active.keys()));
  }

  summary(runId: string): RunSummary {
    const store = this.store(runId);
    const meta = store.readMeta();
    return summarizeRun(store.read().records, {
      runId,
      spec: meta.spec,
      modelName: meta.model.name,
      benchName: meta.bench.name,
      total: meta.total,
      defaultLayer: meta.model.defaultLayer,
    });
  }

  records(runId: string, view?: View): BatchRecord[] {
    const records = this.store(runId).read().records;
    return view ? records.filter((r) => r.view === view) : records;
  }

  async export(runId: string, format: ExportFormat, dest?: string): Promise<{ path?: string; text?: string; bytes?: Uint8Array }> {
    this.store(runId);
    return exportRunInDir(this.cfg.runsDir, runId, format, dest);
  }

  async compare(runA: string, runB: string, layer?: number): Promise<CompareSummary> {
    this.store(runA);
    this.store(runB);
    return compareRunsInDir(this.cfg.runsDir, runA, runB, layer);
  }
}
