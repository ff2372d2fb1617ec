// The batch runner's view of the model: one call that analyses an item in one or both views. The real
// implementation lives in electron/engine/analysis; tests use a deterministic fake.
import type { AnalysisResult, BatchSpec, Box, ModelInfo, RunInfo, View } from '../../contract/types.js';
import type { LoadedBench } from '../bench/types.js';

export interface DualInput {
  itemId: string;
  /** Encoded full image (as stored in the bench). */
  image: Buffer;
  /** Encoded regional crop when the bench has one; otherwise the analyzer cuts it from `bbox`. */
  crop?: Buffer;
  question: string;
  /** Key box in original-image pixels. */
  bbox?: Box;
  maxNewTokens: number;
}

/** Analyses the requested views; must honour the signal (throw CancelledError/AbortError when aborted). */
export type DualAnalyzer = (input: DualInput, views: readonly View[], signal: AbortSignal) => Promise<Partial<Record<View, AnalysisResult>>>;

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
  model: { id: string; name: string; hash: string; numLayers: number; defaultLayer: number };
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
