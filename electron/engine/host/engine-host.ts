// EngineHost: the EngineHandler behind both transports. Routes every contract method, owns the loaded
// models, opened benchmarks and batch runs, and turns engine progress into EngineEvents.
import type { EngineEvent, EngineHandler, MethodName, ParamsOf, ResultOf } from '../../contract/api.js';
import type { AnalysisResult, AnalyzeRequest, DualAnalysisResult } from '../../contract/types.js';
import type { AnalysesRequest } from '../analysis/with-analyses.js';
import { analyzeWithAnalyses } from '../analysis/with-analyses.js';
import { analyzeDualImages } from '../analysis/dual.js';
import type { AnalysisHooks } from '../analysis/stages.js';
import { throwIfAborted } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { BatchController } from './batch.js';
import { BenchRegistry } from './benches.js';
import { ModelRegistry } from './models.js';
import { checkParams } from './params.js';
import { resolveConfig, type EngineHostConfig } from './options.js';
import { benchItem, checkSource, decodeSource, displaySource, resolveSource } from './sources.js';
import { analyzeViews, dualFromViews, type ViewsInput } from '../analysis/views.js';
import { DEFAULT_MAX_NEW_TOKENS } from '../analysis/analyze.js';
import { checkChoice } from '../preprocess/pipeline.js';
import { settleChoice } from '../preprocess/protocol.js';

/** The opt-in analyses of a request, only those asked for (an absent field stays absent). */
function analysesOf(p: AnalyzeRequest): AnalysesRequest {
  return {
    ...(p.selfZoom ? { selfZoom: p.selfZoom } : {}),
    ...(p.faithfulness ? { faithfulness: p.faithfulness } : {}),
    ...(p.activation ? { activation: p.activation } : {}),
  };
}

type Handlers = { [M in MethodName]: (params: ParamsOf<M>, signal: AbortSignal) => Promise<ResultOf<M>> };

export class EngineHost implements EngineHandler {
  readonly config: EngineHostConfig;
  readonly models: ModelRegistry;
  readonly benches: BenchRegistry;
  readonly batches: BatchController;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private requestCounter = 0;
  private readonly handlers: Handlers;

  constructor(options: Record<string, unknown> = {}) {
    this.config = resolveConfig(options);
    const emit = (e: EngineEvent): void => this.emit(e);
    this.models = new ModelRegistry(this.config, emit);
    this.benches = new BenchRegistry(this.config, (level, message) => emit({ type: 'engine.log', level, message }));
    this.batches = new BatchController(this.config, this.models, this.benches, emit);
    this.handlers = {
      'engine.info': async () => ({ version: this.config.version, resourcesDir: this.config.resourcesDir, runsDir: this.config.runsDir }),
      'models.list': async () => this.models.list(),
      'models.open': async (p) => this.models.open(p.dir),
      'models.load': async (p, signal) =>
        this.models.load(p.modelId, p.provider ?? 'auto', {
          signal,
          ...(p.dtype ? { dtype: p.dtype } : {}),
          ...(p.maxPixels !== undefined ? { planPixels: p.maxPixels } : {}),
        }),
      'models.unload': async (p) => ({ unloaded: await this.models.unload(p.modelId) }),
      'analysis.run': async (p, signal) => this.analyze(p, signal),
      'analysis.dual': async (p, signal) => this.analyzeDual(p, signal),
      'images.check': async (p) => checkSource(this.benches, p.source, p.protocol === 'paper' ? 'paper' : 'hf'),
      'images.get': async (p) => displaySource(this.benches, p.source, p.protocol === 'paper' ? 'paper' : 'hf'),
      'bench.list': async () => this.benches.list(),
      'bench.open': async (p) => (await this.benches.open(p.path)).info,
      'bench.items': async (p) => (await this.benches.get(p.benchId)).summaries(),
      'batch.start': async (p) => this.batches.start(p),
      'batch.resume': async (p) => this.batches.resume(p.runId),
      'batch.cancel': async (p) => ({ cancelled: this.batches.cancel(p.runId) }),
      'batch.list': async () => this.batches.list(),
      'batch.matching': async (p) => this.batches.matching(p),
      'batch.annotate': async (p) =>
        this.batches.annotate(p.runId, {
          ...(p.name !== undefined ? { name: p.name } : {}),
          ...(p.notes !== undefined ? { notes: p.notes } : {}),
        }),
      'batch.summary': async (p) => this.batches.summary(p.runId),
      'batch.records': async (p) => this.batches.records(p.runId, p.view),
      'batch.export': async (p) => this.batches.export(p.runId, p.format, p.dest),
      'compare.runs': async (p) => this.batches.compare(p.runA, p.runB, p.layer),
    };
  }

  handle<M extends MethodName>(method: M, params: ParamsOf<M>, signal: AbortSignal): Promise<ResultOf<M>> {
    const handler = this.handlers[method] as (p: ParamsOf<M>, s: AbortSignal) => Promise<ResultOf<M>>;
    try {
      // Paths, ids and images as the contract's table names them (electron/contract/methods.ts).
      checkParams(method, params);
      throwIfAborted(signal);
    } catch (err) {
      return Promise.reject(err);
    }
    return handler(params, signal);
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: EngineEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing listener must not break the engine or the other listeners.
      }
    }
  }

  private hooks(signal: AbortSignal): AnalysisHooks {
    const requestId = `a${++this.requestCounter}`;
    return { signal, onStage: (stage, detail) => this.emit({ type: 'analysis.stage', requestId, stage, ...(detail ? { detail } : {}) }) };
  }

  private async analyze(p: ParamsOf<'analysis.run'>, signal: AbortSignal): Promise<AnalysisResult> {
    const modelId = p.modelId;
    const rt = await this.models.runtime(modelId, signal);
    checkChoice(p.preprocess);
    const preprocess = settleChoice(p.preprocess, rt.info.manifest);
    const { image, item } = await decodeSource(this.benches, p.image, preprocess.protocol);
    const box = p.box ?? (p.image.kind === 'benchItem' && p.image.view === 'global' ? item?.bbox : undefined);
    return this.models.exclusive(modelId, () =>
      analyzeWithAnalyses(
        rt,
        image,
        {
          question: p.question,
          ...(p.maxNewTokens !== undefined ? { maxNewTokens: p.maxNewTokens } : {}),
          ...(p.withGeneric !== undefined ? { withGeneric: p.withGeneric } : {}),
          ...(p.hiddenStates ? { hiddenStates: true } : {}),
          ...(box ? { box } : {}),
          ...analysesOf(p),
          preprocess,
        },
        this.hooks(signal),
      ),
    );
  }

  private async analyzeDual(p: ParamsOf<'analysis.dual'>, signal: AbortSignal): Promise<DualAnalysisResult> {
    const modelId = p.modelId;
    const rt = await this.models.runtime(modelId, signal);
    checkChoice(p.preprocess);
    const preprocess = settleChoice(p.preprocess, rt.info.manifest);
    // A benchmark item runs exactly as a batch run does (analyzeViews): each view needs only its own
    // image, a box-less row runs both views, and a failed view says why in the run's words.
    if (p.image.kind === 'benchItem' && p.image.view === 'global' && !p.cropImage) {
      const item = await benchItem(this.benches, p.image.benchId, p.image.itemId);
      const box = p.box ?? item.bbox;
      const input: ViewsInput = {
        itemId: item.id,
        source: { row: item.row, imageColumn: item.imageColumn, ...(item.cropColumn ? { cropColumn: item.cropColumn } : {}) },
        readImage: () => item.readImage(),
        ...(item.hasCrop ? { readCrop: async () => (await item.readCrop()) ?? Buffer.alloc(0) } : {}),
        question: p.question,
        maxNewTokens: p.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
        preprocess,
        ...(p.withGeneric !== undefined ? { withGeneric: p.withGeneric } : {}),
        ...(box ? { bbox: box } : {}),
        ...analysesOf(p),
      };
      const out = await this.models.exclusive(modelId, () => analyzeViews(rt, input, ['global', 'regional'], this.hooks(signal)));
      return dualFromViews(out);
    }
    const full = await decodeSource(this.benches, p.image, preprocess.protocol);
    const box = p.box ?? full.item?.bbox;
    let crop = null;
    if (p.cropImage) crop = (await decodeSource(this.benches, p.cropImage, preprocess.protocol)).image;
    else if (p.image.kind === 'benchItem') {
      // The bench's own crop_image when it has one (the paper's regional view).
      const r = await resolveSource(this.benches, { ...p.image, view: 'regional' });
      if (!r.cutBox) crop = await decodeImage(r.input, { protocol: preprocess.protocol });
    }
    return this.models.exclusive(modelId, () =>
      analyzeDualImages(
        rt,
        full.image,
        {
          question: p.question,
          ...(p.maxNewTokens !== undefined ? { maxNewTokens: p.maxNewTokens } : {}),
          ...(p.withGeneric !== undefined ? { withGeneric: p.withGeneric } : {}),
          ...(box ? { box } : {}),
          ...analysesOf(p),
          preprocess,
        },
        crop,
        this.hooks(signal),
      ),
    );
  }

  /** Frees sessions and stops runs (the worker calls this before exiting). */
  async dispose(): Promise<void> {
    await this.batches.cancelAll();
    await this.models.disposeAll();
  }
}
