// Replay: a benchmark item in both views side by side: the full image, the key-region crop, and the
// crop's attention mapped back onto the full image, under Replay's own selection (never Inspect's).
import { useMemo } from 'react';
import type { AnalysisResult, BatchRecord, BenchItemSummary, View } from '../../../../electron/contract/types.js';
import { defaultLayer } from '../../../../electron/engine/metrics/index.js';
import { HeatmapCanvas } from '../../heatmap/HeatmapCanvas.js';
import { HeatmapControls } from '../../components/HeatmapControls.js';
import { SelectionBar } from '../../components/SelectionBar.js';
import { ColorBar } from '../../components/ColorBar.js';
import { ModelPanel } from '../../components/ModelPanel.js';
import { EmptyState, ErrorBanner, Verdict, pct, answerText } from '../../components/common.js';
import { useAnalysisView, useBoxMetrics, type AnalysisView } from '../../hooks/useAnalysisView.js';
import { useBenchItems } from '../../stores/bench.js';
import { useLoaded, useModels } from '../../stores/engine.js';
import { ActivationNote } from '../../components/ActivationNote.js';
import { AnalysesPanel } from '../../components/AnalysesPanel.js';
import { MetricsPanel } from '../../components/MetricsPanel.js';
import { AnalysisToggles } from '../../components/AnalysisToggles.js';
import { useReplayActions, useReplayStore, type ReplayItemView } from '../../stores/replay.js';
import { useSelection, useSelectionActions } from '../../stores/selection.js';
import { LayerCurve } from '../../charts/LayerCurve.js';
import { Sized } from '../../components/Sized.js';
import { robustHi, toDisplay } from '../../heatmap/scale.js';
import { runTitle } from '../batch/runText.js';
import { ReplayList } from './ReplayList.js';

export function ReplayView() {
  const current = useReplayStore((s) => s.current);
  const failure = useReplayStore((s) => s.failure);
  const running = useReplayStore((s) => s.running);
  const error = useReplayStore((s) => s.error);
  const selectedId = useReplayStore((s) => s.selectedId);
  const benchId = useReplayStore((s) => s.benchId);
  const modelId = useReplayStore((s) => s.modelId);
  const runId = useReplayStore((s) => s.runId);
  const runs = useReplayStore((s) => s.runs);
  const records = useReplayStore((s) => (selectedId ? s.records[selectedId] : undefined));
  const a = useReplayActions();
  const analyses = useReplayStore((s) => s.analyses);
  const { set } = useSelectionActions();
  const selection = useSelection('replay');
  const items = useBenchItems(benchId);
  const models = useModels();
  const loaded = useLoaded();
  const item = items.find((i) => i.id === current?.itemId);
  const gv = useAnalysisView(current?.dual.global, 'replay');
  const rv = useAnalysisView(current?.dual.regional, 'replay');
  const gMetrics = useBoxMetrics(gv, item?.bbox);
  const anyView = gv ?? rv;
  const numLayers = anyView?.shape.numLayers ?? 1;
  const model = models.find((m) => m.id === modelId);
  // The list reads the run's records at the layer shown (before any item is open: the model's default).
  const listLayer = anyView?.sel.from ?? selection.layer ?? model?.defaultLayer ?? defaultLayer(numLayers);
  const run = runs.find((r) => r.runId === runId);
  // Judgements from one model's run beside a live analysis of another would read as the same model's.
  const mismatch = run && model && (run.modelHash !== model.hash || run.spec.modelId !== model.id) ? { run, model } : null;
  const failedItem = failure ? items.find((i) => i.id === failure.itemId) : undefined;

  return (
    <div className="view replay">
      <ReplayList layer={listLayer} />
      <main className="center">
        <ErrorBanner error={error} onDismiss={a.clearError} />
        {mismatch ? (
          <div className="warn-box" role="alert" data-testid="model-mismatch">
            The judgements come from run “{runTitle(mismatch.run)}” of <strong>{mismatch.run.modelName}</strong>
            {mismatch.run.modelHash !== mismatch.model.hash && mismatch.run.modelName === mismatch.model.name ? ' (other model files)' : ''}
            ; the analysis shown is <strong>{mismatch.model.name}</strong>.{' '}
            <button className="link" onClick={() => a.setModel(mismatch.run.spec.modelId, items)} data-testid="use-run-model">
              Analyse with the run’s model
            </button>
          </div>
        ) : null}
        {failure && failure.itemId === selectedId ? (
          <MalformedItem itemId={failure.itemId} item={failedItem} message={failure.error.message} records={records} />
        ) : !current || !item ? (
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
            <ItemHeader item={item} current={current} records={records} loading={running || current.itemId !== selectedId} />
            <div className="replay-grid">
              <Pane
                className="pane-g"
                title="Global view (full image)"
                testId="replay-global"
                view={gv}
                image={current.images.global}
                error={current.dual.errors?.global?.message ?? current.imageErrors.global}
                coverage={
                  !item.bbox ? (
                    <span data-testid="replay-coverage">coverage: no box</span>
                  ) : gMetrics && gv ? (
                    <span data-testid="replay-coverage">
                      coverage {pct(gMetrics.selected.coveragePaper)} · {gv.label}
                    </span>
                  ) : null
                }
                box={item.bbox}
              />
              <Pane
                className="pane-r"
                title="Regional view (crop)"
                testId="replay-regional"
                view={rv}
                image={current.images.regional}
                error={current.dual.errors?.regional?.message ?? current.imageErrors.regional}
                coverage={rv ? <span className="muted">{rv.label}</span> : null}
              />
              <InFullPane current={current} item={item} layer={anyView?.sel.from ?? 1} />
            </div>
            {anyView ? (
              <div className="under-canvas">
                <SelectionBar scope="replay" view={anyView} compact />
              </div>
            ) : null}
          </>
        )}
      </main>
      <aside className="panel right" aria-label="Model, coverage and painting">
        <ModelPanel model={model} loaded={model ? loaded[model.id] : undefined} result={current?.dual.global ?? current?.dual.regional} />
        {gMetrics && gv && gv.sel.kind === 'activation' && gv.result.activation ? (
          <section data-testid="replay-activation">
            <MetricsPanel metrics={gMetrics.selected} areaShare={gMetrics.areaShare} label={gv.label} box={item?.bbox ?? null} />
            <ActivationNote activation={gv.result.activation} token={gv.sel.query} />
          </section>
        ) : null}
        {gMetrics && gv && gMetrics.byLayer.length > 0 ? (
          <section>
            <h2>Global coverage per layer</h2>
            <div className="muted small">{gv.label.split(' · ').slice(1).join(' · ')} · key box of the item</div>
            <Sized>
              {(w) => (
                <LayerCurve
                  byLayer={gMetrics.byLayer}
                  areaShare={gMetrics.areaShare}
                  layer={gv.sel.from - 1}
                  layerTo={gv.sel.to - 1}
                  onLayer={(l) => set('replay', { layer: l, layerTo: null })}
                  width={w}
                  height={Math.round(Math.min(320, Math.max(180, w * 0.55)))}
                />
              )}
            </Sized>
          </section>
        ) : null}
        <section>
          <AnalysisToggles value={analyses} onChange={(patch) => a.setAnalyses(patch, items)} />
        </section>
        {current?.dual.global && current.images.global ? (
          <AnalysesPanel
            result={current.dual.global}
            imageUrl={current.images.global.url}
            keyBox={current.dual.global.box ?? null}
            judge={(answer) => {
              const rec = records?.global?.selfZoom;
              return rec && rec.answer === answer
                ? `${rec.judgement} in the run`
                : 'not judged here: open a run with self-zoom for the verdict';
            }}
          />
        ) : null}
        <HeatmapControls />
      </aside>
    </div>
  );
}

function ItemHeader({
  item,
  current,
  records,
  loading,
}: {
  item: BenchItemSummary;
  current: ReplayItemView;
  records: { global?: BatchRecord; regional?: BatchRecord } | undefined;
  loading: boolean;
}) {
  const answer = (r: AnalysisResult | undefined) => (r ? answerText(r.answer) : '—');
  return (
    <div className="replay-head" data-testid="replay-item">
      <div>
        <strong>{item.id}</strong>{' '}
        <span className="muted">
          row {item.row + 1} · {item.dimension ?? ''} · {item.questionType}
          {item.bbox ? '' : ' · no key box'}
        </span>{' '}
        {loading ? <span className="muted">· loading the next item…</span> : null}
      </div>
      <div className="small question">{item.question}</div>
      <div className="row">
        <span>
          Ground truth: <strong data-testid="replay-gt">{item.answer}</strong>
        </span>
        <span>
          Global: <strong data-testid="replay-answer-global">{answer(current.dual.global)}</strong> <Verdict record={records?.global} />
        </span>
        <span>
          Regional: <strong data-testid="replay-answer-regional">{answer(current.dual.regional)}</strong>{' '}
          <Verdict record={records?.regional} />
        </span>
      </div>
      <RecordErrors records={records} />
    </div>
  );
}

/** A failed record's error, as the run stored it. */
function RecordErrors({ records }: { records: { global?: BatchRecord; regional?: BatchRecord } | undefined }) {
  const failed = (['global', 'regional'] as View[]).flatMap((v) =>
    records?.[v]?.error !== undefined ? [[v, records[v]!.error!] as const] : [],
  );
  if (failed.length === 0) return null;
  return (
    <div className="error-text small" data-testid="record-errors">
      {failed.map(([v, e]) => (
        <div key={v}>
          In the run, the {v} view failed: {e}
        </div>
      ))}
    </div>
  );
}

/** An item none of whose views could run: what is wrong with it, and no image from another item. */
function MalformedItem({
  itemId,
  item,
  message,
  records,
}: {
  itemId: string;
  item: BenchItemSummary | undefined;
  message: string;
  records: { global?: BatchRecord; regional?: BatchRecord } | undefined;
}) {
  return (
    <div className="malformed" data-testid="replay-malformed">
      <h3>
        {itemId} {item ? <span className="muted">(row {item.row + 1})</span> : null} cannot be shown
      </h3>
      <div className="error-banner">{message}</div>
      <RecordErrors records={records} />
      <div className="muted small">
        This row of the bench is malformed; the batch run records the same error. Fix the file and open it again.
      </div>
    </div>
  );
}

function Pane({
  className,
  title,
  testId,
  view,
  image,
  error,
  coverage,
  box,
}: {
  className: string;
  title: string;
  testId: string;
  view: AnalysisView | null;
  image: ReplayItemView['images'][View];
  error: string | undefined;
  coverage: React.ReactNode;
  box?: BenchItemSummary['bbox'];
}) {
  return (
    <div className={`pane ${className}`}>
      <h3>
        {title} {coverage ? <span className="pane-sub">· {coverage}</span> : null}
      </h3>
      {error || !image || !view ? (
        <div className="pane-error error-banner" data-testid={`${testId}-error`}>
          {error ?? (image ? 'This view did not run.' : 'No image for this view.')}
        </div>
      ) : (
        <>
          <HeatmapCanvas
            label={`${title} with attention`}
            testId={testId}
            imageUrl={image.url}
            imageWidth={image.width}
            imageHeight={image.height}
            map={view.map.display}
            gridW={view.result.geometry.gridW}
            gridH={view.result.geometry.gridH}
            box={box}
            readout={{ values: view.map.values, units: view.map.units, label: view.label }}
          />
          <ColorBar map={view.map} sel={view.sel} testId={`${testId}-colorbar`} />
        </>
      )}
    </div>
  );
}

/** The crop's head-mean prompt-token attention on the full image's grid, as the engine maps it back. */
function InFullPane({ current, item, layer }: { current: ReplayItemView; item: BenchItemSummary; layer: number }) {
  const rif = current.dual.regionalInFull;
  const map = useMemo(() => {
    if (!rif) return null;
    const cells = rif.gridH * rif.gridW;
    const l = Math.min(layer, rif.numLayers) - 1;
    const values = Float64Array.from(rif.data.subarray(l * cells, (l + 1) * cells));
    const hi = robustHi(values);
    return {
      l: l + 1,
      dm: {
        values,
        display: toDisplay(values, hi),
        domain: [0, hi] as [number, number],
        units: 'attention weight' as const,
        norm: 'layerP99' as const,
      },
    };
  }, [rif, layer]);
  const image = current.images.global;
  const label = `layer ${Math.min(layer, rif?.numLayers ?? layer)} · mean of heads · prompt token (as mapped by the engine)`;
  return (
    <div className="pane pane-f">
      <h3>
        Crop attention placed on the full image <span className="pane-sub">· {label}</span>
      </h3>
      {!rif || !map || !image ? (
        <div className="pane-error muted" data-testid="replay-infull-missing">
          {!item.bbox ? 'No key box: the crop has no place in the full image.' : 'Needs both views to have run.'}
        </div>
      ) : (
        <>
          <HeatmapCanvas
            label="Regional attention mapped back onto the full image"
            testId="replay-infull"
            imageUrl={image.url}
            imageWidth={image.width}
            imageHeight={image.height}
            map={map.dm.display}
            gridW={rif.gridW}
            gridH={rif.gridH}
            box={item.bbox}
            readout={{ values: map.dm.values, units: 'attention weight', label }}
            extraBoxes={
              current.dual.regional?.geometry.cropInFull ? [{ box: current.dual.regional.geometry.cropInFull, label: 'crop' }] : undefined
            }
          />
          <ColorBar map={map.dm} sel={{ from: map.l, to: map.l }} testId="replay-infull-colorbar" />
        </>
      )}
    </div>
  );
}
