// Public surface of the bench module (Node only: reads files).
export { openBenchmark, toSummary, type OpenBenchmarkOptions } from './open.js';
export { exportBenchParquet, type ExportParquetResult } from './export-parquet.js';
export {
  judgeAnswer,
  extractAnswer,
  normalizeText,
  parseWholeNumber,
  numbersIn,
  groundTruthLetter,
  lettersNamed,
  type JudgeResult,
} from './judge.js';
export { inferQuestionType, listedOptions } from './rows.js';
export type { BenchItem, LoadedBench } from './types.js';
