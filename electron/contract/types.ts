// Data types shared by the engine, both transports and the renderer.
// Pure types and constants only: the renderer imports this file, so it must never import Node.
import type {
  ActivationOptions,
  ActivationResult,
  FaithfulnessOptions,
  FaithfulnessRecord,
  FaithfulnessResult,
  FaithfulnessSummary,
  SelfZoomOptions,
  SelfZoomRecord,
  SelfZoomResult,
  SelfZoomSummary,
  ZoomNeedTransitions,
} from './analyses.js';

/** `[x1, y1, x2, y2]` in ORIGINAL image pixels (after EXIF orientation), as in ZoomBench's `bbox`. */
export type Box = [number, number, number, number];

export type View = 'global' | 'regional';

export type ProviderChoice = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export type ProviderName = 'cpu' | 'cuda' | 'webgpu';

/** ONNX packages hold the first three; the PyTorch engine also runs Qwen3-VL-MoE and Gemma 3 checkpoints. */
export type ModelFamily = 'qwen2_vl' | 'qwen2_5_vl' | 'qwen3_vl' | 'qwen3_vl_moe' | 'gemma3';

/** Which engine runs a model folder: an ONNX package (onnxruntime-node) or a Hugging Face checkpoint (PyTorch worker). */
export type ModelEngine = 'onnx' | 'pytorch';

/** Precision the PyTorch engine computes in (ONNX packages carry their own). */
export type TorchDtype = 'fp32' | 'bf16' | 'fp16';

/**
 * How an image is prepared for the model (stated once in native-models/loupe_preprocess):
 * `paper` = the chain of the paper's scripts (qwen_vl_utils fetch_image with max_pixels 2048*1024 and no
 * EXIF transpose, then the HF processor with max_pixels 2048*2048); `hf` = transformers' own path
 * (load_image with EXIF, the checkpoint's processor config).
 */
export type PreprocessProtocol = 'paper' | 'hf';

export const PREPROCESS_PROTOCOLS: readonly PreprocessProtocol[] = ['paper', 'hf'];

/** The preprocessing a request asks for. Absent fields: the model package's choice, else `paper`. */
export interface PreprocessChoice {
  protocol?: PreprocessProtocol;
  /** A lower pixel budget for the processor's resize (applies on top of the protocol's). */
  maxPixels?: number;
}

/** An image that decodes and that the processors accept (`images.check`). */
export interface ImageCheck {
  name: string;
  /** Size in the protocol's frame (EXIF applied under hf, the stored frame under paper). */
  width: number;
  height: number;
  /** What the protocol's pipeline will change (16-bit saturation, an EXIF rotation ignored). */
  warnings: string[];
}

/** How one image was prepared: carried on every analysis result and shown beside its numbers. */
export interface PreprocessInfo {
  protocol: PreprocessProtocol;
  /** The processor resize's pixel budget that applied (longest_edge), after any user cap. */
  maxPixels: number;
  /** The user's cap, when one was set. */
  userMaxPixels?: number;
  /** The decoded image given to the chain (stored frame under paper, oriented under hf). */
  sourceWidth: number;
  sourceHeight: number;
  /** Size after qwen_vl_utils' fetch_image resize (paper only). */
  fetchWidth?: number;
  fetchHeight?: number;
  /** Size the vision encoder sees. */
  resizedWidth: number;
  resizedHeight: number;
  /** image_grid_thw: [t, h, w] in patches. */
  gridThw: [number, number, number];
  /** Where the pipeline changes the picture (16-bit saturation, an EXIF rotation ignored); empty when none. */
  warnings: string[];
}

/** One problem found while validating a model folder: always names the file, and the field when there is one. */
export interface ValidationIssue {
  file: string;
  field?: string;
  message: string;
}

/** The exporter's parity check of a package against PyTorch (loupe.json `parity`). */
export interface ParityStatus {
  /** passed: the record says so; failed: a record that did not pass; missing: no record. */
  state: 'passed' | 'failed' | 'missing';
  /** What the package was compared with, e.g. "PyTorch float64 (transformers eager attention)". */
  reference?: string;
  /** ISO time of the check. */
  checkedAt?: string;
  /** Largest error per quantity (logits_rel: relative to the largest logit; attention_abs: probability units; vision_rel). */
  maxError?: Record<string, number>;
  /** Set unless state is passed: shown in the app banner, on the CLI's stderr, and in a run's run.json. */
  warning?: string;
}

export interface ModelInfo {
  /** Stable id: the folder's absolute path. */
  id: string;
  name: string;
  dir: string;
  family: ModelFamily;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** 1-based layer the app selects first (24 for models with >= 24 layers, see docs/metrics.md). */
  defaultLayer: number;
  /** Short content hash of the ONNX files and configs: keys batch results. */
  hash: string;
  bundled: boolean;
  /** `loupe.json` when present (bundled students, exporter output). */
  manifest?: Record<string, unknown>;
  /** Absent means `onnx` (every folder before Hugging Face checkpoints were accepted). */
  engine?: ModelEngine;
  /** Empty when the folder is usable. */
  issues: ValidationIssue[];
  /** Exporter parity (set by the engine's validation; absent only in test doubles). */
  parity?: ParityStatus;
}

export interface LoadedModel {
  modelId: string;
  /** The execution provider that actually ran, after `auto` fallback. */
  provider: ProviderName;
  /** What was tried on `auto`, in order, with the error of each failed try. */
  providerAttempts: { provider: ProviderName; ok: boolean; error?: string }[];
  /** PyTorch engine only: the precision it computes in and the torch/transformers versions it loaded with. */
  dtype?: TorchDtype;
  runtime?: string;
}

/** Where an image comes from. Paths are only honoured for files the user opened (web mode checks). */
export type ImageSource =
  | { kind: 'path'; path: string }
  | { kind: 'bytes'; name: string; bytes: Uint8Array }
  | { kind: 'benchItem'; benchId: string; itemId: string; view: View };

/**
 * How the merged token grid maps onto the original image.
 * Cell (row r, col c) covers, in ORIGINAL pixels, x in [c * cellW, (c+1) * cellW) and
 * y in [r * cellH, (r+1) * cellH) with cellW = imageWidth / gridW, cellH = imageHeight / gridH,
 * because the processor resizes the whole image to resizedWidth x resizedHeight = (gridW*tokenPx) x (gridH*tokenPx).
 */
export interface GridGeometry {
  imageWidth: number;
  imageHeight: number;
  resizedWidth: number;
  resizedHeight: number;
  /** Merged grid (visual tokens the decoder sees). */
  gridH: number;
  gridW: number;
  /** Pixels of the resized image per merged token side (patch * merge: 28 for Qwen2-VL, 32 for Qwen3-VL). */
  tokenPx: number;
  /** Crop rectangle in the full image when this analysis ran on a regional crop cut from a box. */
  cropInFull?: Box;
}

/**
 * Attention of query positions over the visual tokens, head by head.
 * Layout: data[((q * numLayers + layer) * numHeads + head) * cells + cell], cells = gridH * gridW, row-major.
 * Each row is the raw softmax weight restricted to visual tokens (NOT renormalised); `visualMass` holds the sum.
 * Query 0 is the last prompt token (the paper's query position); query i > 0 is generated token i-1.
 */
export interface AttentionMaps {
  numQueries: number;
  numLayers: number;
  numHeads: number;
  gridH: number;
  gridW: number;
  data: Float32Array;
}

export interface AnswerToken {
  id: number;
  text: string;
  prob: number;
}

export interface StageTimings {
  preprocessMs: number;
  visionMs: number;
  prefillMs: number;
  decodeMs: number;
  metricsMs: number;
}

export interface AnalyzeRequest {
  modelId: string;
  image: ImageSource;
  question: string;
  box?: Box;
  /** Greedy decoding budget. Default 16. */
  maxNewTokens?: number;
  /** Also run the generic prompt and return relative attention inputs. Default true. */
  withGeneric?: boolean;
  /** PyTorch engine: also return the final normalised hidden states of the visual positions (`hiddenStates`). */
  hiddenStates?: boolean;
  /** Crop around the attention peak and ask again (docs/metrics.md "Self-zoom diagnosis"). */
  selfZoom?: SelfZoomOptions;
  /** Delete the most attended cells, random cells and the key box, and ask again (docs/metrics.md "Faithfulness"). */
  faithfulness?: FaithfulnessOptions;
  /** Activation maps of the answer tokens (docs/metrics.md "Activation maps"); needs the decoder's hidden states. */
  activation?: ActivationOptions;
  /** Preprocessing protocol and pixel budget (docs/preprocessing.md). */
  preprocess?: PreprocessChoice;
}

export interface AnalysisResult {
  modelId: string;
  provider: ProviderName;
  question: string;
  prompt: string;
  answer: string;
  tokens: AnswerToken[];
  geometry: GridGeometry;
  attention: AttentionMaps;
  /** Attention of the generic prompt's last token ("Write a general description of the image."), one query. */
  genericAttention?: AttentionMaps;
  box?: Box;
  /** How the image was prepared (protocol, pixel budget, sizes, warnings). */
  preprocess: PreprocessInfo;
  timings: StageTimings;
  /**
   * When requested (PyTorch engine): the decoder's final normalised hidden state at each visual position of
   * the question's prompt, data[cell * dim + d], cells in the attention maps' row-major grid order.
   */
  hiddenStates?: { cells: number; dim: number; data: Float32Array };
  selfZoom?: SelfZoomResult;
  faithfulness?: FaithfulnessResult;
  activation?: ActivationResult;
}

export interface DualAnalyzeRequest extends AnalyzeRequest {
  /** Regional crop to use; when absent it is cut from `box`. */
  cropImage?: ImageSource;
}

/** Why one view of a dual analysis did not run (the other view still did). */
export interface ViewError {
  message: string;
  /** The column or field at fault ("images", "crop_image", "bbox"). */
  field?: string;
}

/**
 * Both views of one item. For a benchmark item each view needs only its own image, as in a batch run: a
 * view that cannot run is absent and `errors` says why (the same words as the run's record).
 */
export interface DualAnalysisResult {
  global?: AnalysisResult;
  regional?: AnalysisResult;
  /**
   * Regional attention of query 0, head-mean, per layer, resampled onto the GLOBAL grid:
   * data[layer * cells + cell]; cells outside the crop are 0. Absent when a view is missing or the item
   * has no key box (then the crop has no place in the full image).
   */
  regionalInFull?: { numLayers: number; gridH: number; gridW: number; data: Float32Array };
  errors?: Partial<Record<View, ViewError>>;
}

export type QuestionType = 'mcq' | 'blank';

export interface BenchItemSummary {
  id: string;
  row: number;
  question: string;
  answer: string;
  questionType: QuestionType;
  dimension?: string;
  bbox?: Box;
  imageWidth?: number;
  imageHeight?: number;
  hasCrop: boolean;
}

export interface BenchRowIssue {
  /** 0-based row in the source (shown 1-based: "row 10"). */
  row: number;
  /** The row's id when it could be read. */
  id?: string;
  /** Column (parquet) or field (JSON) at fault. */
  field: string;
  message: string;
  /**
   * True when the row still loads as an item: only one view's image is unusable (the other view runs) or
   * it has no key box (both views run; coverage "no box"). Otherwise the row is skipped.
   */
  kept?: boolean;
}

export interface BenchInfo {
  id: string;
  name: string;
  path: string;
  format: 'zoombench-parquet' | 'zoombench-json' | 'loupe-jsonl';
  itemCount: number;
  dimensions: string[];
  issues: BenchRowIssue[];
  bundled: boolean;
}

export interface BatchSpec {
  modelId: string;
  benchId: string;
  views: View[];
  /** 1-based layers to record coverage for; empty = all. */
  layers: number[];
  maxNewTokens: number;
  /** `i/n` sharding: keep items whose index % n == i. */
  shard?: { index: number; count: number };
  /** Optional limit for quick runs. */
  limit?: number;
  /** Opt-in analyses of the global view (they change the settings hash, so resume keeps them apart). */
  selfZoom?: SelfZoomOptions;
  faithfulness?: FaithfulnessOptions;
  /** Preprocessing protocol (default `paper`, the paper's chain) and pixel budget; both go into the settings hash. */
  preprocess?: PreprocessChoice;
}

export type Judgement = 'correct' | 'wrong' | 'unjudged';

/** One line of the append-only results store (JSONL). */
export interface BatchRecord {
  key: string;
  itemId: string;
  view: View;
  modelHash: string;
  settingsHash: string;
  question: string;
  groundTruth: string;
  answer: string;
  extracted: string;
  judgement: Judgement;
  /** Why the judge decided so, in words (electron/engine/bench/judge.ts); absent on failed records. */
  judgeReason?: string;
  questionType: QuestionType;
  dimension?: string;
  bbox?: Box;
  /** Per recorded layer (1-based key), head-mean coverage in both modes, ratio, pointing game, entropy. */
  layers: Record<string, LayerMetrics>;
  /** Head-mean attention grid at the default layer (query 0), for per-item exports. */
  grid?: { gridH: number; gridW: number; values: number[] };
  /** Share of the image area inside `bbox` (global view), for the summary's mean box area share. */
  boxAreaShare?: number;
  /** 1-based layer of `grid`. */
  gridLayer?: number;
  /** Global view of a run with the opt-in analyses. */
  selfZoom?: SelfZoomRecord;
  faithfulness?: FaithfulnessRecord;
  /** How the view's image was prepared (absent on failed records and on records from before protocols). */
  preprocess?: PreprocessInfo;
  error?: string;
  finishedAt: string;
}

export interface LayerMetrics {
  coveragePaper: number;
  coverageArea: number;
  ratio: number;
  pointing: boolean;
  /** Shannon entropy of the normalised map, nats. */
  entropy: number;
  /** entropy / ln(cells): 1 = uniform, 0 = one cell (added by the metrics module). */
  entropyNormalized?: number;
  relCoveragePaper?: number;
}

export interface CiStat {
  mean: number;
  median: number;
  lo: number;
  hi: number;
  n: number;
}

/**
 * Judgements of one view, counted apart. `items` = correct + wrong + unjudged + failed (every item of the
 * view that has a record); `judged` = correct + wrong.
 */
export interface AccuracyStat {
  correct: number;
  wrong: number;
  unjudged: number;
  /** Records with an error: the model did not run on the item. */
  failed: number;
  judged: number;
  items: number;
  /** Accuracy over all items: correct / items (unjudged and failed count as not correct). 0 when items = 0. */
  accuracy: number;
  /** Accuracy over judged items: correct / judged. 0 when judged = 0. */
  accuracyJudged: number;
}

export interface RunSummary {
  runId: string;
  spec: BatchSpec;
  modelName: string;
  benchName: string;
  done: number;
  total: number;
  failed: number;
  accuracy: Record<View, AccuracyStat>;
  /** Regional minus global, percentage points. */
  zoomingGap: number;
  byDimension: Record<string, { global: AccuracyStat; regional: AccuracyStat; gap: number }>;
  byQuestionType: Record<string, { global: AccuracyStat; regional: AccuracyStat; gap: number }>;
  /** Per 1-based layer, global view, paper coverage. */
  coverageByLayer: Record<string, CiStat>;
  coverageCorrectVsWrong: { correct: CiStat; wrong: CiStat; layer: number };
  meanBoxAreaShare: number;
  /** Items analysed in the global view without a key box: answered and judged, coverage "no box". */
  noBoxItems: number;
  /** The first failed records' errors (item, view, message), for a summary that says what went wrong. */
  failures: { itemId: string; view: View; error: string }[];
  /** Runs with the opt-in analyses. */
  selfZoom?: SelfZoomSummary;
  faithfulness?: FaithfulnessSummary;
}

export interface CompareSummary {
  runA: string;
  runB: string;
  layer: number;
  pairedItems: number;
  coverageDelta: CiStat;
  accuracyDelta: { mean: number; lo: number; hi: number };
  wilcoxon: { statistic: number; z: number; pValue: number; n: number };
  flipped: { itemId: string; view: View; from: Judgement; to: Judgement; answerA: string; answerB: string }[];
  mostChanged: { itemId: string; coverageA: number; coverageB: number; delta: number }[];
  /** Items moved between "solved in one pass", "needs a zoom" and "unsolved" (runs with both views). */
  zoomNeed?: ZoomNeedTransitions;
  /** Self-zoom and faithfulness headline figures of both runs, when both have them: B minus A. */
  analyses?: {
    selfZoomAccuracy?: {
      a: number;
      b: number;
      delta: number;
      /**
       * Over the items whose self-zoom answer is judged in both runs: B - A accuracy with a 95% paired
       * bootstrap CI, and how many items only A or only B answered right after self-zoom.
       */
      paired?: { items: number; delta: number; lo: number; hi: number; onlyA: number; onlyB: number };
    };
    gapRecovered?: { a: number | null; b: number | null };
    deletionArea?: { layer: number; a: number; b: number; delta: number; randomA: number; randomB: number };
  };
}

export interface RunInfo {
  runId: string;
  spec: BatchSpec;
  modelName: string;
  /** Content hash of the model files the run was made with (ModelInfo.hash at the time). */
  modelHash: string;
  benchName: string;
  done: number;
  total: number;
  state: 'running' | 'finished' | 'cancelled' | 'interrupted' | 'failed';
  startedAt: string;
  /** Last write to run.json (start, end, resume). */
  updatedAt?: string;
  /** Records with an error so far. */
  failed: number;
  /** What the researcher called the run, and their notes (`batch.annotate`). */
  name?: string;
  notes?: string;
}
