// Two models on the same item: both heatmaps, the difference map (B − A) and their numbers, all under
// Compare's own selection (shown, and set by the strip's controls).
import { useEffect, useMemo } from 'react';
import type { AnalysisResult, Box } from '../../../../electron/contract/types.js';
import { HeatmapCanvas } from '../../heatmap/HeatmapCanvas.js';
import { SelectionBar } from '../../components/SelectionBar.js';
import { BenchSelect } from '../../components/BenchSelect.js';
import { EmptyState, Field, pct, num, answerText } from '../../components/common.js';
import { ModelSelect, pickModel } from '../../components/ModelSelect.js';
import { useAnalysisView, useBoxMetrics, type AnalysisView, type BoxMetrics } from '../../hooks/useAnalysisView.js';
import { differenceMap, mapCache } from '../../heatmap/maps.js';
import { formatValue } from '../../heatmap/scale.js';
import { useBenches, useModels } from '../../stores/engine.js';
import { useBenchActions, useBenchItems } from '../../stores/bench.js';
import { useCompareActions, useCompareStore } from '../../stores/compare.js';
import { useInspectStore } from '../../stores/inspect.js';
import { useShallow } from 'zustand/react/shallow';

export function CompareItemControls() {
  const models = useModels();
  const benches = useBenches();
  const s = useCompareStore(
    useShallow((st) => ({ modelA: st.modelA, modelB: st.modelB, subject: st.subject, running: st.running, benchId: st.benchId })),
  );
  const a = useCompareActions();
  const benchId = s.benchId && benches.some((b) => b.id === s.benchId) ? s.benchId : (benches[0]?.id ?? null);
  const items = useBenchItems(benchId);
  const { load } = useBenchActions();
  const inspectImage = useInspectStore((st) => st.image);

  // The default comparison is the one the app ships for: baseline student against the R2I student.
  useEffect(() => {
    if (!s.modelA && !s.modelB && models.length) a.setModels(pickModel(models, 'loupe-tiny-base'), pickModel(models, 'loupe-tiny-r2i'));
  }, [models, s.modelA, s.modelB, a]);
  useEffect(() => {
    if (benchId) void load(benchId);
  }, [benchId, load]);
  useEffect(() => {
    if (!s.subject && benchId && items.length) void a.setBenchItem(benchId, items[0]);
  }, [s.subject, benchId, items, a]);

  return (
    <fieldset>
      <legend>On one item</legend>
      <ModelSelect label="Model A (before)" value={s.modelA} onChange={(id) => a.setModels(id, s.modelB)} testId="compare-model-a" />
      <ModelSelect label="Model B (after)" value={s.modelB} onChange={(id) => a.setModels(s.modelA, id)} testId="compare-model-b" />
      <BenchSelect value={benchId} onChange={a.setBench} testId="compare-bench" />
      <Field label="Benchmark item">
        <select
          data-testid="compare-item"
          value={items.some((i) => i.id === s.subject?.label) ? s.subject?.label : ''}
          onChange={(e) => {
            const it = items.find((i) => i.id === e.target.value);
            if (it && benchId) void a.setBenchItem(benchId, it);
          }}
        >
          <option value="">{s.subject ? s.subject.label : 'choose…'}</option>
          {items.map((it) => (
            <option key={it.id} value={it.id}>
              {it.id} · {it.question.slice(0, 40)}
            </option>
          ))}
        </select>
      </Field>
      {inspectImage ? (
        <button
          className="link"
          onClick={() => {
            const st = useInspectStore.getState();
            if (st.image)
              a.setSubject({
                image: { ...st.image, url: st.image.url },
                question: st.question,
                box: st.box ?? undefined,
                label: st.image.name,
                ownsUrl: false,
                fixedProtocol: true,
              });
          }}
        >
          Use the Inspect image and question
        </button>
      ) : null}
      <button
        className="primary"
        data-testid="compare-run"
        disabled={!s.modelA || !s.modelB || !s.subject || s.running}
        onClick={() => void a.runItem()}
      >
        {s.running ? 'Running both…' : 'Run both models'}
      </button>
    </fieldset>
  );
}

export function CompareItem() {
  const subject = useCompareStore((s) => s.subject);
  const resultA = useCompareStore((s) => s.resultA);
  const resultB = useCompareStore((s) => s.resultB);
  const models = useModels();
  const vA = useAnalysisView(resultA, 'compare');
  const vB = useAnalysisView(resultB, 'compare');
  const mA = useBoxMetrics(vA, subject?.box);
  const mB = useBoxMetrics(vB, subject?.box);
  const sameGrid =
    !!resultA && !!resultB && resultA.geometry.gridW === resultB.geometry.gridW && resultA.geometry.gridH === resultB.geometry.gridH;
  const diff = useMemo(() => {
    if (!vA || !vB || !sameGrid) return null;
    // Raw attention of the same selection in both (the colour scales may differ; the difference must not).
    const raw = (v: AnalysisView) =>
      mapCache(v.result.attention, v.result.genericAttention).raw(v.sel.from, v.sel.to, v.sel.head, v.sel.query);
    return differenceMap(raw(vA), raw(vB));
  }, [vA, vB, sameGrid]);
  if (!subject)
    return <EmptyState title="Pick an item to compare">Choose two models and a benchmark item on the left, then run both.</EmptyState>;
  const name = (r: AnalysisResult | null) => models.find((m) => m.id === r?.modelId)?.name ?? '';
  const img = subject.image;
  const anyView = vB ?? vA;
  const pane = (v: AnalysisView | null, r: AnalysisResult | null, title: string, testId: string, m: BoxMetrics | null) => (
    <div className="pane">
      <h3>
        {title} {r ? <span className="muted">· {name(r)}</span> : null}
      </h3>
      <HeatmapCanvas
        label={`${title} heatmap`}
        testId={testId}
        imageUrl={img.url}
        imageWidth={img.width}
        imageHeight={img.height}
        map={v?.map.display ?? null}
        gridW={r?.geometry.gridW ?? 1}
        gridH={r?.geometry.gridH ?? 1}
        box={subject.box as Box | undefined}
        readout={v ? { values: v.map.values, units: v.map.units, label: v.label } : undefined}
      />
      <div className="small" data-testid={`${testId}-answer`}>
        {r && v ? (
          <>
            Answer <strong>{answerText(r.answer)}</strong> ·{' '}
            {m ? (
              <span data-testid={`${testId}-coverage`}>
                coverage {pct(m.selected.coveragePaper)} · ratio {num(m.selected.ratio, 2)}× ·{' '}
                {m.selected.pointing ? 'pointing hit' : 'pointing miss'} · {v.label}
              </span>
            ) : (
              <span className="muted">no key box: no coverage</span>
            )}
          </>
        ) : (
          <span className="muted">not run yet</span>
        )}
      </div>
    </div>
  );
  return (
    <>
      <div className="small compare-subject" data-testid="compare-subject">
        <strong>{subject.label}</strong> · {subject.question}{' '}
        {subject.answer ? (
          <>
            · truth <strong>{subject.answer}</strong>
          </>
        ) : null}
      </div>
      <div className="side-by-side three">
        {pane(vA, resultA, 'A', 'compare-a', mA)}
        {pane(vB, resultB, 'B', 'compare-b', mB)}
        <div className="pane">
          <h3>Difference B − A {diff ? <span className="muted">· ±{formatValue(diff.maxAbs)} attention weight</span> : null}</h3>
          <HeatmapCanvas
            label="Difference map, red where B attends more"
            testId="compare-diff"
            imageUrl={img.url}
            imageWidth={img.width}
            imageHeight={img.height}
            map={diff?.display ?? null}
            gridW={resultA?.geometry.gridW ?? 1}
            gridH={resultA?.geometry.gridH ?? 1}
            box={subject.box as Box | undefined}
            paint={{ colormap: 'rdbu', threshold: 0, lo: 0, hi: 1, opacity: 0.7 }}
          />
          <div className="small muted">
            {resultA && resultB && !sameGrid
              ? 'The two models use different grids: no difference map.'
              : `Red: B attends more; blue: A attends more${anyView ? ` · ${anyView.label}` : ''}.`}
          </div>
        </div>
      </div>
      {anyView ? <SelectionBar scope="compare" view={anyView} compact /> : null}
    </>
  );
}
