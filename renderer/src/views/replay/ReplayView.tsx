// Replay: a benchmark item in both views side by side: the full image, the key-region crop, and the
// crop's attention mapped back onto the full image.
import { useMemo } from 'react';
import { defaultLayer } from '../../../../electron/engine/metrics/index.js';
import { HeatmapCanvas } from '../../heatmap/HeatmapCanvas.js';
import { HeatmapControls } from '../../components/HeatmapControls.js';
import { LayerSlider } from '../../components/LayerSlider.js';
import { EmptyState, ErrorBanner, pct, answerText } from '../../components/common.js';
import { useAnalysisMaps, useBoxMetrics } from '../../hooks/useAnalysisMaps.js';
import { layerIndex, useHeatmapStore } from '../../stores/heatmap.js';
import { useBenchItems } from '../../stores/bench.js';
import { useReplayActions, useReplayStore } from '../../stores/replay.js';
import { ReplayList, Verdict } from './ReplayList.js';
import { LayerCurve } from '../../charts/LayerCurve.js';

export function ReplayView() {
  const current = useReplayStore((s) => s.current);
  const running = useReplayStore((s) => s.running);
  const error = useReplayStore((s) => s.error);
  const selectedId = useReplayStore((s) => s.selectedId);
  const benchId = useReplayStore((s) => s.benchId);
  const records = useReplayStore((s) => (selectedId ? s.records[selectedId] : undefined));
  const a = useReplayActions();
  const items = useBenchItems(benchId);
  const item = items.find((i) => i.id === current?.itemId);
  const layerSetting = useHeatmapStore((s) => s.layer);
  const numLayers = current?.dual.global.attention.numLayers ?? 1;
  const layer = layerIndex(layerSetting, numLayers, defaultLayer(numLayers));

  const gm = useAnalysisMaps(current?.dual.global);
  const rm = useAnalysisMaps(current?.dual.regional);
  const gMetrics = useBoxMetrics(current?.dual.global, item?.bbox);
  // The crop's attention on the global grid, each layer stretched to its own max (it is zero outside the crop).
  const inFull = useMemo(() => {
    const rif = current?.dual.regionalInFull;
    if (!rif) return null;
    const cells = rif.gridH * rif.gridW;
    const l = Math.min(layer, rif.numLayers - 1);
    const v = rif.data.subarray(l * cells, (l + 1) * cells);
    let max = 1e-12;
    for (let i = 0; i < cells; i++) max = Math.max(max, v[i]);
    const d = new Float32Array(cells);
    for (let i = 0; i < cells; i++) d[i] = v[i] / max;
    return { display: d };
  }, [current, layer]);

  const shownLayer = layer + 1;
  const stale = current && current.itemId !== selectedId;
  return (
    <div className="view replay">
      <ReplayList layer={shownLayer} />
      <main className="center">
        <ErrorBanner error={error} onDismiss={a.clearError} />
        {!current || !item ? (
          running ? (
            <EmptyState title="Analysing both views…">The model answers on the full image and on the crop.</EmptyState>
          ) : (
            <EmptyState title="Pick an item">
              Choose an item on the left (or focus the list and use ↑/↓). Each item runs the model on the full image and on the key-region
              crop.
            </EmptyState>
          )
        ) : (
          <>
            <div className="replay-head" data-testid="replay-item">
              <div>
                <strong>{item.id}</strong>{' '}
                <span className="muted">
                  {item.dimension ?? ''} · {item.questionType}
                </span>{' '}
                {running || stale ? <span className="muted">· loading next…</span> : null}
              </div>
              <div className="small">{item.question}</div>
              <div className="row">
                <span>
                  Ground truth: <strong data-testid="replay-gt">{item.answer}</strong>
                </span>
                <span>
                  Global: <strong data-testid="replay-answer-global">{answerText(current.dual.global.answer)}</strong>{' '}
                  {records?.global ? <Verdict label="" j={records.global.judgement} /> : null}
                </span>
                <span>
                  Regional: <strong data-testid="replay-answer-regional">{answerText(current.dual.regional.answer)}</strong>{' '}
                  {records?.regional ? <Verdict label="" j={records.regional.judgement} /> : null}
                </span>
              </div>
            </div>
            <div className="replay-grid">
              <div className="pane pane-g">
                <h3>Global view · coverage {pct(gMetrics?.byLayer[layer]?.coveragePaper)}</h3>
                <HeatmapCanvas
                  label="Full image with attention"
                  testId="replay-global"
                  imageUrl={current.global.url}
                  imageWidth={current.global.width}
                  imageHeight={current.global.height}
                  map={gm?.display ?? null}
                  gridW={current.dual.global.geometry.gridW}
                  gridH={current.dual.global.geometry.gridH}
                  box={item.bbox}
                />
              </div>
              <div className="pane pane-r">
                <h3>Regional view (crop)</h3>
                <HeatmapCanvas
                  label="Key-region crop with attention"
                  testId="replay-regional"
                  imageUrl={current.regional.url}
                  imageWidth={current.regional.width}
                  imageHeight={current.regional.height}
                  map={rm?.display ?? null}
                  gridW={current.dual.regional.geometry.gridW}
                  gridH={current.dual.regional.geometry.gridH}
                />
              </div>
              <div className="pane pane-f">
                <h3>Crop attention mapped onto the full image</h3>
                <HeatmapCanvas
                  label="Regional attention mapped back onto the full image"
                  testId="replay-infull"
                  imageUrl={current.global.url}
                  imageWidth={current.global.width}
                  imageHeight={current.global.height}
                  map={inFull?.display ?? null}
                  gridW={current.dual.regionalInFull.gridW}
                  gridH={current.dual.regionalInFull.gridH}
                  box={item.bbox}
                  extraBoxes={
                    current.dual.regional.geometry.cropInFull
                      ? [{ box: current.dual.regional.geometry.cropInFull, label: 'crop' }]
                      : undefined
                  }
                />
              </div>
            </div>
            {gm ? <LayerSlider numLayers={gm.maps.numLayers} layer={layer} defaultLayer={gm.defaultLayer} /> : null}
          </>
        )}
      </main>
      <aside className="panel right" aria-label="Heatmap settings and coverage">
        <HeatmapControls domain={gm?.maps.domain[layer]} hasGeneric={!!current?.dual.global.genericAttention} />
        {gMetrics ? (
          <section>
            <h2>Global coverage per layer</h2>
            <LayerCurve
              byLayer={gMetrics.byLayer}
              areaShare={gMetrics.areaShare}
              layer={layer}
              onLayer={(l) => useHeatmapStore.getState().actions.setLayer(l)}
              width={290}
              height={170}
            />
          </section>
        ) : null}
      </aside>
    </div>
  );
}
