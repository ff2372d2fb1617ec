// Public surface of the batch module (Node only: files).
export { executeRun, openRun, runBatch, selectItems, validateSpec, type OpenedRun, type RunBatchOptions } from './runner.js';
export { RunLock, LOCK_FILE } from './run-lock.js';
export { ResultStore, parseRecords, assertRunId, claimRunFolder, type ReadResult } from './store.js';
export {
  listRuns,
  runInfo,
  mergeRuns,
  missingShardsOf,
  runDir,
  matchingRuns,
  annotateRun,
  type MergeOptions,
  type MergeResult,
} from './runs.js';
export { runToNpz, RUN_NPZ_FORMAT } from './export-npz.js';
export { ProgressRate } from './progress-rate.js';
export { summarizeRun, accuracyOf, gapOf, coverageValues, recordedLayers, headlineLayer, type SummaryContext } from './summary.js';
export { compareRecords, pairRecords, type CompareOptions } from './compare.js';
export { summaryToCsv, summaryToJson, recordsToCsv, gridsToJson, toCsv, csvCell, type GridExport } from './export.js';
export { recordKey, settingsHash, newRunId, METRICS_VERSION } from './keys.js';
export { buildRecord, errorRecord, withCurrentJudgement } from './records.js';
export type { BatchDeps, DualAnalyzer, DualInput, DualOutcome, ItemSource, RunMeta } from './types.js';
