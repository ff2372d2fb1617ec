// Right column of Inspect: the model, the box metrics of the selection with the per-layer curve, the
// heads of the selected layer with their coverage, painting settings, exports and timings.
import type { Box } from '../../../../electron/contract/types.js';
import { ActivationNote } from '../../components/ActivationNote.js';
import { AnalysesPanel } from '../../components/AnalysesPanel.js';
import { HeatmapControls } from '../../components/HeatmapControls.js';
import { MetricsPanel } from '../../components/MetricsPanel.js';
import { HeadGrid } from '../../components/HeadGrid.js';
import { ModelPanel } from '../../components/ModelPanel.js';
import { LayerCurve } from '../../charts/LayerCurve.js';
import { Sized } from '../../components/Sized.js';
import type { AnalysisView, BoxMetrics } from '../../hooks/useAnalysisView.js';
import { useLoaded, useModels } from '../../stores/engine.js';
import { useInspectStore } from '../../stores/inspect.js';
import { useSelectionActions } from '../../stores/selection.js';
import { headLabel, tokenLabel } from '../../selection/labels.js';

export function InspectResultPanel({
  view,
  metrics,
  box,
  boxNote,
  onExportPng,
  onExportJson,
  onExportNpz,
}: {
  view: AnalysisView | null;
  metrics: BoxMetrics | null;
  box: Box | null;
  boxNote: string | null;
  onExportPng: () => void;
  onExportJson: () => void;
  onExportNpz: () => void;
}) {
  const { set } = useSelectionActions();
  const models = useModels();
  const loaded = useLoaded();
  const modelId = useInspectStore((s) => s.modelId);
  const image = useInspectStore((s) => s.image);
  const model = models.find((m) => m.id === (view?.result.modelId ?? modelId));
  return (
    <aside className="panel right" aria-label="Model, metrics and heads">
      <ModelPanel model={model} loaded={model ? loaded[model.id] : undefined} result={view?.result} />
      {view ? (
        <>
          <section>
            <MetricsPanel
              metrics={metrics?.selected}
              areaShare={metrics?.areaShare ?? 0}
              label={view.label}
              box={box}
              stale={boxNote ?? undefined}
            />
            {view.sel.kind === 'activation' && view.result.activation ? (
              <ActivationNote activation={view.result.activation} token={view.sel.query} />
            ) : null}
            {metrics && metrics.byLayer.length > 0 ? (
              <>
                <div className="muted small">
                  Per layer · {headLabel(view.sel.head, view.sel.numHeads)} · {tokenLabel(view.sel.query, view.result.tokens)}
                </div>
                <Sized>
                  {(w) => (
                    <LayerCurve
                      byLayer={metrics.byLayer}
                      areaShare={metrics.areaShare}
                      layer={view.sel.from - 1}
                      layerTo={view.sel.to - 1}
                      onLayer={(l) => set('inspect', { layer: l, layerTo: null })}
                      width={w}
                      height={Math.round(Math.min(320, Math.max(180, w * 0.55)))}
                    />
                  )}
                </Sized>
              </>
            ) : null}
          </section>
          {image ? <AnalysesPanel result={view.result} imageUrl={image.url} keyBox={view.result.box ?? null} /> : null}
          <section>
            <h2>Heads</h2>
            <HeadGrid view={view} box={box} scope="inspect" />
          </section>
          <section className="row">
            <button
              onClick={onExportPng}
              data-testid="export-png"
              title="The overlay with its colour bar and a caption saying what it shows"
            >
              Export PNG
            </button>
            <button
              onClick={onExportJson}
              data-testid="export-json"
              title="Every layer's box metrics under this selection, and the selected map"
            >
              Export JSON
            </button>
            <button
              onClick={onExportNpz}
              data-testid="export-npz"
              title="All attention of this analysis (every query, layer and head) for NumPy"
            >
              Export NPZ
            </button>
          </section>
          <section className="muted small" data-testid="timings">
            {view.result.provider} · preprocess {view.result.timings.preprocessMs.toFixed(0)} ms · vision{' '}
            {view.result.timings.visionMs.toFixed(0)} ms · prefill {view.result.timings.prefillMs.toFixed(0)} ms · decode{' '}
            {view.result.timings.decodeMs.toFixed(0)} ms
          </section>
        </>
      ) : null}
      <HeatmapControls />
    </aside>
  );
}
