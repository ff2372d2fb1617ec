// Inspect: one image, where the model looks, and how much of that falls in the key box.
import { useRef, useState } from 'react';
import { HeatmapCanvas } from '../../heatmap/HeatmapCanvas.js';
import { LayerSlider } from '../../components/LayerSlider.js';
import { TokenSelector } from '../../components/TokenSelector.js';
import { EmptyState, ErrorBanner, answerText } from '../../components/common.js';
import { useAnalysisMaps, useBoxMetrics } from '../../hooks/useAnalysisMaps.js';
import { useInspectActions, useInspectStore } from '../../stores/inspect.js';
import { useModels } from '../../stores/engine.js';
import { useHeatmapStore } from '../../stores/heatmap.js';
import { overlayPng } from '../../export/overlay.js';
import { saveBlob, saveText, safeName } from '../../export/download.js';
import { analysisNumbers } from '../../export/numbers.js';
import { InspectInputs } from './InspectInputs.js';
import { InspectResultPanel } from './InspectResultPanel.js';

export function InspectView() {
  const a = useInspectActions();
  const image = useInspectStore((s) => s.image);
  const box = useInspectStore((s) => s.box);
  const result = useInspectStore((s) => s.result);
  const error = useInspectStore((s) => s.error);
  const models = useModels();
  const am = useAnalysisMaps(result);
  const metrics = useBoxMetrics(result, box);
  const canvasEl = useRef<HTMLCanvasElement | null>(null);
  const imageEl = useRef<HTMLImageElement | null>(null);
  const [dragOver, setDragOver] = useState(false);
  // A result only describes the image it was computed on.
  const shown =
    result && image && result.geometry.imageWidth === image.width && result.geometry.imageHeight === image.height ? result : null;

  const exportPng = async () => {
    if (!image || !imageEl.current) return;
    const blob = await overlayPng({
      image: imageEl.current,
      overlay: canvasEl.current,
      width: image.width,
      height: image.height,
      smooth: useHeatmapStore.getState().smooth,
      box,
    });
    saveBlob(blob, `${safeName(image.name)}-layer${(am?.layer ?? 0) + 1}.png`);
  };
  const exportJson = () => {
    if (!shown || !am || !image) return;
    const name = models.find((m) => m.id === shown.modelId)?.name ?? shown.modelId;
    const text = analysisNumbers({
      result: shown,
      modelName: name,
      box,
      layer: am.layer + 1,
      settings: useHeatmapStore.getState(),
      byLayer: metrics?.byLayer ?? null,
      areaShare: metrics?.areaShare ?? null,
      grid: am.maps.values[am.layer],
    });
    saveText(text, `${safeName(image.name)}-analysis.json`, 'application/json');
  };

  return (
    <div className="view inspect">
      <InspectInputs />
      <main
        className={`center ${dragOver ? 'drag-over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragOver(true);
        }}
        onDragLeave={() => setDragOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragOver(false);
          const f = e.dataTransfer.files[0];
          if (f) void a.openFile(f);
        }}
      >
        <ErrorBanner error={error} onDismiss={a.clearError} />
        {image ? (
          <>
            <HeatmapCanvas
              label={`Image ${image.name} with attention heatmap`}
              testId="inspect-canvas"
              imageUrl={image.url}
              imageWidth={image.width}
              imageHeight={image.height}
              map={shown && am ? am.display : null}
              gridW={shown?.geometry.gridW ?? 1}
              gridH={shown?.geometry.gridH ?? 1}
              box={box}
              onBoxChange={a.setBox}
              canvasRef={(el) => (canvasEl.current = el)}
              imageRef={(el) => (imageEl.current = el)}
            />
            {shown && am ? (
              <div className="under-canvas">
                <LayerSlider numLayers={am.maps.numLayers} layer={am.layer} defaultLayer={am.defaultLayer} />
                <div className="answer" data-testid="answer">
                  <span className="muted">Answer: </span>
                  <strong>{answerText(shown.answer)}</strong>
                </div>
                <TokenSelector tokens={shown.tokens} numQueries={shown.attention.numQueries} />
              </div>
            ) : (
              <div className="under-canvas muted">Draw the key box on the image (optional), then press Run.</div>
            )}
          </>
        ) : (
          <EmptyState title="Open an image to see where the model looks">
            Use “Open image…”, drop a file here, or pick a benchmark item on the left. Then type a question and press Run.
          </EmptyState>
        )}
      </main>
      <InspectResultPanel
        result={shown}
        am={shown ? am : null}
        metrics={shown ? metrics : null}
        box={box}
        onExportPng={() => void exportPng()}
        onExportJson={exportJson}
      />
    </div>
  );
}
