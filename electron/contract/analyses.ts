// The analyses beyond the heatmap (issue "Beyond the heatmap", docs/metrics.md): self-zoom diagnosis and
// faithfulness by deletion, as requested in an analysis or a batch spec and as returned or stored.
// Pure types only (the renderer imports them).
import type { AccuracyStat, AnswerToken, Box, CiStat, GridGeometry, Judgement, LayerMetrics } from './types.js';

/** The attention map an analysis reads: head-mean, query 0 (the last prompt token, the paper's query). */
export interface MapSelection {
  /** 1-based first and last layer, inclusive, averaged; default the model's default layer alone. */
  layers?: [number, number];
  /** Divide by the generic prompt's map (relative attention); needs the generic prompt. Default false. */
  relative?: boolean;
}

/**
 * How the self-zoom crop is chosen from the map (electron/engine/metrics/self-zoom.ts):
 * `fixed`: a window of `fraction` of the grid's height and width at the largest attention sum;
 * `adaptive`: ViCrop's rule, square windows of baseSide * ratio original pixels, the sharpest wins.
 */
export type CropRuleSpec = { mode: 'fixed'; fraction: number } | { mode: 'adaptive'; baseSide: number; ratios?: number[] };

export const DEFAULT_CROP: CropRuleSpec = { mode: 'fixed', fraction: 0.5 };

/**
 * What the second pass sees: the crop alone, or ViCrop's input, the full image followed by the crop as a
 * second image in the same user turn (docs/metrics.md "Self-zoom diagnosis").
 */
export type SelfZoomInput = 'crop' | 'crop+full';
export const SELF_ZOOM_INPUTS: readonly SelfZoomInput[] = ['crop', 'crop+full'];

export interface SelfZoomOptions extends MapSelection {
  /** Default DEFAULT_CROP (half the image's width and height). */
  crop?: CropRuleSpec;
  /** Default 'crop'. */
  input?: SelfZoomInput;
}

export interface SelfZoomResult {
  /** The map the crop was chosen from. */
  layers: [number, number];
  relative: boolean;
  rule: CropRuleSpec;
  input: SelfZoomInput;
  /** The crop in original-image pixels (whole pixels, inside the image). */
  box: Box;
  /** The window of merged tokens it was chosen from: top-left cell and size in cells. */
  window: { row: number; col: number; rows: number; cols: number };
  /** Share of the map's total inside that window. */
  windowMass: number;
  /** With a key box: IoU of crop and key box, and whether the key box's centre lies inside the crop. */
  iou?: number;
  centreInside?: boolean;
  /** The same question on the second pass's input (greedy, the same token budget). */
  answer: string;
  tokens: AnswerToken[];
  /** Geometry of the crop as the second pass prepared it (cropInFull = box). */
  geometry: GridGeometry;
  /** Wall time of the second pass, ms. */
  ms: number;
}

export const DEFAULT_DELETION_FRACTIONS: readonly number[] = [0.05, 0.1, 0.2];
export const DEFAULT_RANDOM_SEEDS = 3;

export interface FaithfulnessOptions {
  /** Fractions of the visual cells removed, each in (0, 1]; default 0.05, 0.1, 0.2. */
  fractions?: number[];
  /** Random deletions per fraction, seeds 1..n; default 3. */
  randomSeeds?: number;
  /** 1-based layers whose head-mean map ranks the cells; default the model's default layer. */
  layers?: number[];
  /** Rank cells by relative attention (needs the generic prompt). Default false. */
  relative?: boolean;
}

/** One point of a deletion curve: the image with `cells` cells removed, re-run. */
export interface DeletionPoint {
  /** Fraction of the visual cells removed (0 = the original image). */
  fraction: number;
  cells: number;
  /** Probability of the original answer's first token at the first generated position. */
  prob: number;
  /** Original probability minus prob (positive = the deletion hurt the answer). */
  drop: number;
  answer: string;
  /** The greedy answer differs from the original answer (as text). */
  changed: boolean;
}

export interface DeletionCurve {
  /** Starts with the original image (fraction 0). */
  points: DeletionPoint[];
  /** Mean probability under the curve (trapezoids over the fractions, divided by their range). */
  area: number;
}

export interface FaithfulnessResult {
  /** How cells are removed: their pixel rectangles filled with the image's mean colour. */
  removal: 'mean-fill';
  /** That colour, RGB 0..255. */
  fill: [number, number, number];
  relative: boolean;
  /** The original answer's first token (greedy; the end token when the answer is empty). */
  token: { id: number; text: string; prob: number };
  answer: string;
  /** Deleting the top-ranked cells of each layer's map, by 1-based layer. */
  attention: Record<string, DeletionCurve>;
  /** Deleting random cells: one curve per seed, and the mean of their areas. */
  random: { seeds: number[]; curves: DeletionCurve[]; meanArea: number };
  /** Deleting every cell the key box overlaps (when there is a key box). */
  box?: DeletionPoint;
  /** Wall time of every deletion pass together, ms. */
  ms: number;
}

/** The self-zoom part of a batch record (global view): the result without tokens and geometry, judged. */
export interface SelfZoomRecord {
  layers: [number, number];
  relative: boolean;
  rule: CropRuleSpec;
  /** Absent in records written before the crop+full input existed: those are 'crop'. */
  input?: SelfZoomInput;
  box: Box;
  windowMass: number;
  iou?: number;
  centreInside?: boolean;
  answer: string;
  extracted: string;
  judgement: Judgement;
  judgeReason?: string;
}

/** The faithfulness part of a batch record: the result without timing. */
export type FaithfulnessRecord = Omit<FaithfulnessResult, 'ms'>;

/** Accuracy of the three answers to the same items: full image, self-zoom crop, key-region crop. */
export interface ThreeWayAccuracy {
  /** Items counted (the same in all three). */
  items: number;
  global: AccuracyStat;
  selfZoom: AccuracyStat;
  regional: AccuracyStat;
  /** (selfZoom - global) / (regional - global) accuracy over these items; null when there is no gap. */
  gapRecovered: number | null;
}

/**
 * Per item, what closed the zooming gap (items with all three answers judged):
 * onePass = global correct; selfZoom = global wrong, self-zoom correct; needsKeyRegion = only the
 * key-region crop correct; unsolved = all three wrong. selfZoomHurts counts global-correct items whose
 * self-zoom answer is wrong (a subset of onePass).
 */
export interface ZoomOutcomes {
  onePass: number;
  selfZoom: number;
  needsKeyRegion: number;
  unsolved: number;
  selfZoomHurts: number;
}

export interface SelfZoomSummary {
  /** Global-view records with a self-zoom result. */
  items: number;
  /**
   * Over the items with a global, self-zoom and regional answer (regional has items 0 in a global-only
   * run; then no gap is defined).
   */
  accuracy: ThreeWayAccuracy;
  byDimension: Record<string, ThreeWayAccuracy>;
  byQuestionType: Record<string, ThreeWayAccuracy>;
  /** gapRecovered with a percentile bootstrap CI over items (resamples without a gap are skipped). */
  gapRecovered: { value: number | null; lo: number | null; hi: number | null; n: number };
  /** IoU of crop and key box, and the share of items whose key-box centre lies inside the crop. */
  iou: CiStat;
  centreInside: number;
  windowMass: CiStat;
  outcomes: ZoomOutcomes;
}

export interface FaithfulnessSummary {
  /** Global-view records with a faithfulness result. */
  items: number;
  fractions: number[];
  /**
   * Per 1-based layer: deletion area of that layer's top cells; per item attention area minus the mean
   * random area (negative = the map found more of what the answer depends on than chance); per fraction
   * the mean probability drop and the share of answers that changed.
   */
  byLayer: Record<string, { area: CiStat; minusRandom: CiStat; drop: number[]; changed: number[] }>;
  random: { area: CiStat; drop: number[]; changed: number[] };
  /** Deleting the key box's cells (items with a box). */
  box: { drop: CiStat; changed: number; fraction: CiStat } | null;
  /** The layer with the lowest mean area (most faithful); null without data. */
  mostFaithfulLayer: number | null;
  /** Per dimension: mean area per layer and of random deletion. */
  byDimension: Record<string, { items: number; byLayer: Record<string, number>; random: number }>;
}

/** Where an item stands in one run: solved on the full image, only with the key region, or not at all. */
export type ZoomNeed = 'onePass' | 'needsZoom' | 'unsolved';

/** How distillation moved items between ZoomNeed classes, run A -> run B (items judged in both views in both runs). */
export interface ZoomNeedTransitions {
  items: number;
  /** counts[from][to] */
  counts: Record<ZoomNeed, Record<ZoomNeed, number>>;
  /** Items that needed a zoom in A and are solved in one pass in B. */
  movedToOnePass: string[];
  /** Items solved in one pass in A that need a zoom (or are unsolved) in B. */
  lostOnePass: string[];
}

export interface ActivationOptions {
  /** Remove the earlier answer tokens' interference (TAM's estimated causal inference). Default true. */
  contextCorrection?: boolean;
}

/** One answer token's activation map over the visual cells (row-major, gridH x gridW). */
export interface ActivationToken {
  /** 0-based index in the answer. */
  index: number;
  id: number;
  text: string;
  /** relu(h_v . u_c) per visual cell, after the context correction when it is on. */
  map: number[];
  /** The least-squares scale of the interference removed (0 without context or correction). */
  alpha: number;
  /** Spearman rank correlation with this token's attention map (query = the position that produced it, head mean, `layer`); null when a map is constant. */
  spearman: number | null;
  /** The key box's metrics on the activation map (same definitions as attention). */
  metrics?: LayerMetrics;
}

export interface ActivationResult {
  /** The attention layer the rank correlation compares with (the model's default). */
  layer: number;
  contextCorrection: boolean;
  tokens: ActivationToken[];
  /** Mean Spearman over the answer's tokens (null without any). */
  meanSpearman: number | null;
}
