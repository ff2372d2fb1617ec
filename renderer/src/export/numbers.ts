// The numbers behind one view of an analysis, as JSON a researcher can diff or load in a notebook.
import type { AnalysisResult, Box, LayerMetrics } from '../../../electron/contract/types.js';
import type { HeatmapSettings } from '../stores/heatmap.js';

export function analysisNumbers(opts: {
  result: AnalysisResult;
  modelName: string;
  box: Box | null;
  layer: number;
  settings: HeatmapSettings;
  byLayer: LayerMetrics[] | null;
  areaShare: number | null;
  grid: ArrayLike<number>;
}): string {
  const { result } = opts;
  return JSON.stringify(
    {
      model: opts.modelName,
      modelId: result.modelId,
      provider: result.provider,
      question: result.question,
      answer: result.answer,
      tokens: result.tokens,
      geometry: result.geometry,
      box: opts.box,
      layer: opts.layer,
      query: opts.settings.query,
      head: opts.settings.head,
      normalisation: opts.settings.norm,
      boxAreaShare: opts.areaShare,
      metricsByLayer: opts.byLayer?.map((m, i) => ({ layer: i + 1, ...m })) ?? null,
      grid: { gridH: result.geometry.gridH, gridW: result.geometry.gridW, values: Array.from(opts.grid) },
      timings: result.timings,
      exportedAt: new Date().toISOString(),
    },
    null,
    2,
  );
}
