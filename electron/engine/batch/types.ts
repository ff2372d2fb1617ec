// The batch runner's view of the model: one call that analyses an item in one or both views. The real
// implementation lives in electron/engine/analysis; tests use a deterministic fake.
import type { ActivationOptions, FaithfulnessOptions, SelfZoomOptions } from '../../contract/analyses.js';
import type { AnalysisResult, BatchSpec, Box, ModelInfo, ParityStatus, PreprocessChoice, RunInfo, View } from '../../contract/types.js';
import type { LoadedBench } from '../bench/types.js';

/** Where an item's images come from, for error messages that name row and column. */
export interface ItemSource {
  /** 0-based row in the bench file (shown 1-based: "row 10"). */
  row: number;
  /** Column (or JSON field) of the full image: "image", "images". */
  imageColumn: string;
  /** Column of the regional crop: "crop_image", "crop_images"; absent when the bench has none. */
  cropColumn?: string;
}

export interface DualInput {
  itemId: string;
  source: ItemSource;
  /** Encoded full image (as stored in the bench), read when a view needs it. */
  readImage: () => Promise<Uint8Array>;
  /** Encoded regional crop when the bench has one; otherwise the analyzer cuts it from `bbox`. */
  readCrop?: () => Promise<Uint8Array>;
  question: string;
  /** Key box in original-image pixels. */
  bbox?: Box;
  maxNewTokens: number;
  /** Opt-in analyses of the global view (BatchSpec.selfZoom / faithfulness). */
  selfZoom?: SelfZoomOptions;
  faithfulness?: FaithfulnessOptions;
  activation?: ActivationOptions;
  /** The run's preprocessing (settled at start: the protocol is always named in a run's spec). */
  preprocess?: PreprocessChoice;
}

/** Per view: its analysis, or why that view failed (the other view still runs). */
export type DualOutcome = Partial<Record<View, AnalysisResult>> & { errors?: Partial<Record<View, unknown>> };

/** Analyses the requested views; must honour the signal (throw CancelledError/AbortError when aborted). */
export type DualAnalyzer = (input: DualInput, views: readonly View[], signal: AbortSignal) => Promise<DualOutcome>;

export interface BatchDeps {
  model: ModelInfo;
  bench: LoadedBench;
  analyzeDual: DualAnalyzer;
}

/** Contents of <runsDir>/<runId>/run.json. */
export interface RunMeta {
  runId: string;
  spec: BatchSpec;
  settingsHash: string;
  model: {
    id: string;
    name: string;
    hash: string;
    numLayers: number;
    defaultLayer: number;
    /** The exporter parity state, and its warning unless passed (ModelInfo.parity). */
    parity?: { state: ParityStatus['state']; warning?: string };
  };
  bench: { id: string; name: string; path: string };
  state: RunInfo['state'];
  /** Work units (item x view) in this run (after limit and shard). */
  total: number;
  startedAt: string;
  updatedAt: string;
  error?: string;
  /** Set by mergeRuns: the run folders it merged. */
  mergedFrom?: string[];
}
