// The one typed contract between the renderer and the engine.
// Both transports (Electron IPC and the web mode's HTTP/WebSocket) carry exactly this:
// request/response methods that return promises, plus a stream of events.
import type {
  AnalysisResult,
  AnalyzeRequest,
  BatchRecord,
  BatchSpec,
  BenchInfo,
  BenchItemSummary,
  CompareSummary,
  DualAnalysisResult,
  DualAnalyzeRequest,
  ImageCheck,
  ImageSource,
  LoadedModel,
  ModelInfo,
  PreprocessProtocol,
  ProviderChoice,
  RunInfo,
  RunSummary,
  TorchDtype,
  View,
} from './types.js';

/** Every method: its params and its result. Params are one plain object so transports can serialise them. */
export interface EngineMethods {
  'engine.info': { params: Record<string, never>; result: { version: string; resourcesDir: string; runsDir: string } };
  'models.list': { params: Record<string, never>; result: ModelInfo[] };
  'models.open': { params: { dir: string }; result: ModelInfo };
  /**
   * maxPixels: the pixel budget the memory guard plans this load for (the caller's own, e.g. Inspect's Max
   * pixels); the engine's (LOUPE_MAX_PIXELS), else the protocol's, when absent. It does not cap later requests.
   */
  'models.load': { params: { modelId: string; provider: ProviderChoice; dtype?: TorchDtype; maxPixels?: number }; result: LoadedModel };
  'models.unload': { params: { modelId: string }; result: { unloaded: boolean } };
  'analysis.run': { params: AnalyzeRequest; result: AnalysisResult };
  'analysis.dual': { params: DualAnalyzeRequest; result: DualAnalysisResult };
  /** Encoded image bytes (EXIF-oriented) for display. */
  /** Display bytes in the protocol's frame (EXIF applied under hf, the stored frame under paper; default hf). */
  'images.get': {
    params: { source: ImageSource; protocol?: PreprocessProtocol };
    result: { mime: string; bytes: Uint8Array; width: number; height: number };
  };
  /**
   * Decodes the image as the protocol will (default hf) and checks what the processors refuse: the
   * answer when the image is opened, so a bad file is refused then, naming the file and the cause (an
   * invalid-image error), not at Run.
   */
  'images.check': { params: { source: ImageSource; protocol?: PreprocessProtocol }; result: ImageCheck };
  'bench.list': { params: Record<string, never>; result: BenchInfo[] };
  'bench.open': { params: { path: string }; result: BenchInfo };
  'bench.items': { params: { benchId: string }; result: BenchItemSummary[] };
  'batch.start': { params: BatchSpec; result: { runId: string } };
  'batch.resume': { params: { runId: string }; result: { runId: string } };
  'batch.cancel': { params: { runId: string }; result: { cancelled: boolean } };
  'batch.list': { params: Record<string, never>; result: RunInfo[] };
  /** Runs that computed exactly this spec (same model files, bench and settings), newest first: offer them instead of recomputing. */
  'batch.matching': { params: BatchSpec; result: RunInfo[] };
  /** Sets a run's name and notes ("" clears one; an absent field is left as it is). */
  'batch.annotate': { params: { runId: string; name?: string; notes?: string }; result: RunInfo };
  'batch.summary': { params: { runId: string }; result: RunSummary };
  'batch.records': { params: { runId: string; view?: View }; result: BatchRecord[] };
  /**
   * 'csv' per-record rows, 'json' the summary, 'grids' per-record attention grids (JSON), 'npz' the run as
   * NumPy arrays (docs/exports.md). Without `dest`: `text`, or `bytes` for npz; with `dest`: the file's path.
   */
  'batch.export': {
    params: { runId: string; format: ExportFormat; dest?: string };
    result: { path?: string; text?: string; bytes?: Uint8Array };
  };
  'compare.runs': { params: { runA: string; runB: string; layer?: number }; result: CompareSummary };
}

export type ExportFormat = 'csv' | 'json' | 'grids' | 'npz';

export type MethodName = keyof EngineMethods;
export type ParamsOf<M extends MethodName> = EngineMethods[M]['params'];
export type ResultOf<M extends MethodName> = EngineMethods[M]['result'];

/** Progress and lifecycle events, a tagged union. */
export type EngineEvent =
  | {
      type: 'batch.progress';
      runId: string;
      done: number;
      total: number;
      failed: number;
      itemsPerSecond: number;
      etaSeconds: number | null;
    }
  | { type: 'batch.item'; runId: string; record: BatchRecord }
  | { type: 'batch.finished'; runId: string; state: RunInfo['state']; error?: string }
  | { type: 'analysis.stage'; requestId: string; stage: 'preprocess' | 'vision' | 'prefill' | 'decode' | 'metrics'; detail?: string }
  | { type: 'model.loaded'; model: LoadedModel }
  | { type: 'engine.restarted'; reason: string }
  | { type: 'engine.log'; level: 'info' | 'warn' | 'error'; message: string };

export interface CallOptions {
  signal?: AbortSignal;
}

/** What the renderer (and the CLI) hold: the same interface over either transport. */
export interface EngineClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
}

/** What the engine host implements; transports forward to it. */
export interface EngineHandler {
  handle<M extends MethodName>(method: M, params: ParamsOf<M>, signal: AbortSignal): Promise<ResultOf<M>>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
}

/** Errors cross transports as this shape; `code` lets the UI choose what to say. */
export interface EngineErrorPayload {
  code:
    | 'bad-request'
    | 'not-found'
    | 'invalid-model'
    | 'invalid-image'
    | 'invalid-bench'
    | 'cancelled'
    | 'forbidden'
    /** Another process holds what this call needs (a run being written elsewhere). */
    | 'conflict'
    /** A part of the installation is missing or cannot start (the engine, a provider's libraries). */
    | 'unavailable'
    | 'internal';
  message: string;
  file?: string;
  field?: string;
}
