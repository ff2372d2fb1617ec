// The numbers behind one analysis as JSON a researcher can diff or load in a notebook: every layer's box
// metrics under the view's selection, the selected map, and the words that say what was measured.
import type { Box } from '../../../electron/contract/types.js';
import type { AnalysisView, BoxMetrics } from '../hooks/useAnalysisView.js';
import { headLabel, layerLabel, tokenLabel } from '../selection/labels.js';

export function analysisNumbers(opts: {
  view: AnalysisView;
  modelName: string;
  imageName: string;
  box: Box | null;
  metrics: BoxMetrics | null;
}): string {
  const { view } = opts;
  const { result, sel } = view;
  return JSON.stringify(
    {
      format: 'loupe-analysis-json/1',
      model: opts.modelName,
      modelId: result.modelId,
      provider: result.provider,
      protocol: view.protocol ?? null,
      image: opts.imageName,
      question: result.question,
      answer: result.answer,
      tokens: result.tokens,
      geometry: result.geometry,
      box: opts.box,
      selection: {
        label: view.label,
        layers: [sel.from, sel.to],
        layerText: layerLabel(sel),
        head: sel.head,
        headText: headLabel(sel.head, sel.numHeads),
        query: sel.query,
        queryText: tokenLabel(sel.query, result.tokens),
        scale: view.map.norm,
      },
      boxAreaShare: opts.metrics?.areaShare ?? null,
      /** Per layer (1-based), under the selection's heads and token. */
      metricsByLayer: opts.metrics?.byLayer.map((m, i) => ({ layer: i + 1, ...m })) ?? null,
      /** The selection itself (one layer, or the mean map of the layer range). */
      metricsSelected: opts.metrics?.selected ?? null,
      grid: {
        gridH: result.geometry.gridH,
        gridW: result.geometry.gridW,
        units: view.map.units,
        values: Array.from(view.map.values),
      },
      timings: result.timings,
      exportedAt: new Date().toISOString(),
    },
    null,
    2,
  );
}
