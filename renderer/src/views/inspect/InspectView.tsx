// Inspect: one image, where the model looks, and how much of that falls in the key box.
import { useRef, useState } from 'react';
import { useAfterFrame } from '../../hooks/useAfterFrame.js';
import type { Box } from '../../../../electron/contract/types.js';
import { HeatmapCanvas } from '../../heatmap/HeatmapCanvas.js';
import { SelectionBar } from '../../components/SelectionBar.js';
import { ColorBar, scaleText } from '../../components/ColorBar.js';
import { EmptyState, ErrorBanner, answerText, pct } from '../../components/common.js';
import { boxMetrics, useAnalysisView, useBoxMetrics } from '../../hooks/useAnalysisView.js';
import { useInspectActions, useInspectStore } from '../../stores/inspect.js';
import { useModels } from '../../stores/engine.js';
import { useHeatmapStore } from '../../stores/heatmap.js';
import { useSelectionActions } from '../../stores/selection.js';
import { overlayPng } from '../../export/overlay.js';
import { saveBlob, saveBytes, saveText } from '../../export/download.js';
import { analysisNumbers } from '../../export/numbers.js';
import { exportName } from '../../../../electron/engine/formats/names.js';
import { analysisToNpz } from '../../../../electron/engine/formats/analysis-npz.js';
import { NORM_LABELS, headLabel, layerLabel, tokenLabel } from '../../selection/labels.js';
import { InspectInputs } from './InspectInputs.js';
import { InspectResultPanel } from './InspectResultPanel.js';
import { ModelView } from './ModelView.js';

export function InspectView() {
  const a = useInspectActions();
  const image = useInspectStore((s) => s.image);
  const box = useInspectStore((s) => s.box);
  const result = useInspectStore((s) => s.result);
  const error = useInspectStore((s) => s.error);
  const models = useModels();
  const { set: setSelection } = useSelectionActions();
  // A result only describes the image it was computed on.
  const shown =
    result && image && result.geometry.imageWidth === image.width && result.geometry.imageHeight === image.height ? result : null;
  const view = useAnalysisView(shown, 'inspect');
  // The heatmap paints first; the side panel (metrics of every layer, every head's thumbnail) follows one
  // frame later, so neither a new result nor a slider step waits for them.
  const sideView = useAfterFrame(view);
  const metrics = useBoxMetrics(sideView, box);
  const canvasEl = useRef<HTMLCanvasElement | null>(null);
  const imageEl = useRef<HTMLImageElement | null>(null);
  const [dragOver, setDragOver] = useState(false);
  const [mode, setMode] = useState<'heatmap' | 'model'>('heatmap');
  const [draft, setDraft] = useState<{ note: string | null; forBox: Box | null }>({ note: null, forBox: null });
  const boxNote = draft.forBox === box ? draft.note : null;
  const modelName = shown ? (models.find((m) => m.id === shown.modelId)?.name ?? shown.modelId) : '';

  const fileName = (ext: string) =>
    view && image
      ? exportName(
          {
            model: modelName,
            subject: image.name,
            date: new Date(),
            detail: [layerLabel(view.sel), headLabel(view.sel.head, view.sel.numHeads), tokenLabel(view.sel.query)],
          },
          ext,
        )
      : `loupe.${ext}`;

  const exportPng = async () => {
    if (!image || !imageEl.current || !view) return;
    const st = useHeatmapStore.getState();
    const top = view.map.domain[1];
    const metrics = boxMetrics(view, box);
    const caption = [
      `${modelName} on ${image.name} (${image.width}×${image.height})`,
      `question: “${shown?.question ?? ''}” answer: “${answerText(shown?.answer ?? '')}”`,
      view.label,
      `scale: ${NORM_LABELS[view.map.norm].short}`,
      box ? `key box [${box.map((v) => Math.round(v)).join(', ')}]` : 'no key box',
      metrics ? `coverage ${pct(metrics.selected.coveragePaper, 1)} (paper), ${pct(metrics.selected.coverageArea, 1)} (area-exact)` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    const blob = await overlayPng({
      image: imageEl.current,
      overlay: st.showHeatmap ? canvasEl.current : null,
      width: image.width,
      height: image.height,
      smooth: st.smooth,
      box,
      colorBar: { colormap: st.colormap, lo: top * st.lo, hi: top * st.hi, units: view.map.units, rule: scaleText(view.map, view.sel) },
      caption,
    });
    saveBlob(blob, fileName('png'));
  };
  const exportJson = () => {
    if (!view || !image) return;
    saveText(
      analysisNumbers({ view, modelName, imageName: image.name, box, metrics: boxMetrics(view, box) }),
      fileName('json'),
      'application/json',
    );
  };
  const exportNpz = () => {
    if (!shown || !image) return;
    saveBytes(analysisToNpz(shown, { modelName, imageName: image.name, box }), fileName('npz'), 'application/octet-stream');
  };

  return (
    <div className="view inspect">
      <InspectInputs onBoxDraft={(note, forBox) => setDraft({ note, forBox })} />
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
            {view ? (
              <div className="segmented view-mode" role="radiogroup" aria-label="What the centre shows">
                <button
                  role="radio"
                  aria-checked={mode === 'heatmap'}
                  className={mode === 'heatmap' ? 'active' : ''}
                  onClick={() => setMode('heatmap')}
                >
                  Heatmap
                </button>
                <button
                  role="radio"
                  aria-checked={mode === 'model'}
                  className={mode === 'model' ? 'active' : ''}
                  onClick={() => setMode('model')}
                  data-testid="model-view-toggle"
                  title="Every layer × every head of this item, with the key box's coverage per tile"
                >
                  Model view (all layers × heads)
                </button>
              </div>
            ) : null}
            {view && mode === 'model' ? (
              <ModelView
                view={view}
                box={box}
                onPick={(layer, head) => {
                  setSelection('inspect', { layer, layerTo: null, head });
                  setMode('heatmap');
                }}
              />
            ) : (
              <HeatmapCanvas
                label={`Image ${image.name} with attention heatmap`}
                testId="inspect-canvas"
                imageUrl={image.url}
                imageWidth={image.width}
                imageHeight={image.height}
                map={view ? view.map.display : null}
                gridW={shown?.geometry.gridW ?? 1}
                gridH={shown?.geometry.gridH ?? 1}
                box={box}
                onBoxChange={a.setBox}
                canvasRef={(el) => (canvasEl.current = el)}
                imageRef={(el) => (imageEl.current = el)}
                readout={view ? { values: view.map.values, units: view.map.units, label: view.label } : undefined}
              />
            )}
            {shown && view ? (
              <div className="under-canvas">
                {mode === 'heatmap' ? <ColorBar map={view.map} sel={view.sel} /> : null}
                <SelectionBar scope="inspect" view={view} />
                <div className="answer" data-testid="answer">
                  <span className="muted">Answer: </span>
                  <strong>{answerText(shown.answer)}</strong>
                </div>
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
        view={sideView}
        metrics={metrics}
        box={box}
        boxNote={boxNote}
        onExportPng={() => void exportPng()}
        onExportJson={exportJson}
        onExportNpz={exportNpz}
      />
    </div>
  );
}
