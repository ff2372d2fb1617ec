// Right column of Inspect: heatmap settings, box metrics with the per-layer curve, heads, export.
import type { AnalysisResult, Box } from '../../../../electron/contract/types.js';
import { HeatmapControls } from '../../components/HeatmapControls.js';
import { MetricsPanel } from '../../components/MetricsPanel.js';
import { HeadGrid } from '../../components/HeadGrid.js';
import { LayerCurve } from '../../charts/LayerCurve.js';
import type { AnalysisMaps, BoxMetrics } from '../../hooks/useAnalysisMaps.js';
import { useHeatmapActions, useHeatmapStore } from '../../stores/heatmap.js';

export function InspectResultPanel({
  result,
  am,
  metrics,
  onExportPng,
  onExportJson,
}: {
  result: AnalysisResult | null;
  am: AnalysisMaps | null;
  metrics: BoxMetrics | null;
  box: Box | null;
  onExportPng: () => void;
  onExportJson: () => void;
}) {
  const { setLayer } = useHeatmapActions();
  const query = useHeatmapStore((s) => s.query);
  return (
    <aside className="panel right" aria-label="Heatmap and metrics">
      <HeatmapControls domain={am?.maps.domain[am.layer]} hasGeneric={!!result?.genericAttention} />
      {result && am ? (
        <>
          <section>
            <MetricsPanel metrics={metrics?.byLayer[am.layer]} areaShare={metrics?.areaShare ?? 0} layer={am.layer + 1} />
            {metrics ? (
              <LayerCurve
                byLayer={metrics.byLayer}
                areaShare={metrics.areaShare}
                layer={am.layer}
                onLayer={setLayer}
                width={300}
                height={170}
              />
            ) : null}
          </section>
          <section>
            <h2>Heads · layer {am.layer + 1}</h2>
            <HeadGrid attention={result.attention} layer={am.layer} query={query} />
          </section>
          <section className="row">
            <button onClick={onExportPng} data-testid="export-png">
              Export PNG
            </button>
            <button onClick={onExportJson} data-testid="export-json">
              Export JSON
            </button>
          </section>
          <section className="muted small" data-testid="timings">
            {result.provider} · preprocess {result.timings.preprocessMs.toFixed(0)} ms · vision {result.timings.visionMs.toFixed(0)} ms ·
            prefill {result.timings.prefillMs.toFixed(0)} ms · decode {result.timings.decodeMs.toFixed(0)} ms
          </section>
        </>
      ) : null}
    </aside>
  );
}
