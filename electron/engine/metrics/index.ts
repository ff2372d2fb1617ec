// Public surface of the metrics module. Pure TypeScript (no Node imports): the engine and the
// renderer both import this, so there is exactly one implementation of every number Loupe shows.
export { clipBox, boxAreaShare, type ImageSize } from './box.js';
export {
  paperCellRange,
  sumPaperRange,
  coveragePaper,
  coverageArea,
  areaCellWeights,
  areaShareOnGrid,
  type PaperCellRange,
  type PaperGeometry,
  type AreaGeometry,
} from './coverage.js';
export { headAggregate, layerRangeAggregate, visualMass, type HeadMode } from './aggregate.js';
export { attentionRatio, pointingGame, entropy, normalize, type EntropyResult } from './concentration.js';
export { relativeAttention, relativeCoveragePaper, RELATIVE_EPSILON } from './relative.js';
export { layerMetrics, metricsByLayer, defaultLayer, PAPER_LAYER, type LayerMetricsInput } from './layer.js';
export { sum, argMax } from './grid.js';
export {
  selfZoomCrop,
  windowBox,
  boxIoU,
  centreInside,
  gapRecovered,
  VICROP_RATIOS,
  TIE_TOLERANCE,
  type CropRule,
  type SelfZoomCrop,
  type CellWindow,
  type GridShape,
  type ImageExtent,
} from './self-zoom.js';
export { cellCount, topCells, randomCells, boxCells, cellRects, deletionArea, type CurvePoint } from './deletion.js';
export { spearman, averageRanks } from './rank-correlation.js';
export { activationMap, contextCorrected, rankGaussianFilter, type ContextMap } from './activation.js';
