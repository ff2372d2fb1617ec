// Colormap, opacity, threshold, value range, smooth/cells, grid lines, normalisation, with a legend.
import { cssGradient, SEQUENTIAL_COLORMAPS, type ColormapName } from '../heatmap/colormaps.js';
import type { Norm } from '../heatmap/maps.js';
import { useHeatmapActions, useHeatmapStore } from '../stores/heatmap.js';
import { useShallow } from 'zustand/react/shallow';

const NORMS: { id: Norm; label: string; title: string }[] = [
  { id: 'raw', label: 'Raw', title: 'Softmax weights; one colour scale for all layers' },
  { id: 'relative', label: 'Relative', title: 'Divided by the attention for "Write a general description of the image." (cancels sinks)' },
  { id: 'layerMax', label: 'Layer max', title: 'Each layer scaled to its own maximum' },
];

export function HeatmapControls({ domain, hasGeneric }: { domain?: [number, number]; hasGeneric: boolean }) {
  const s = useHeatmapStore(
    useShallow((st) => ({
      colormap: st.colormap,
      opacity: st.opacity,
      threshold: st.threshold,
      lo: st.lo,
      hi: st.hi,
      smooth: st.smooth,
      gridLines: st.gridLines,
      norm: st.norm,
      show: st.showHeatmap,
    })),
  );
  const { set } = useHeatmapActions();
  const fmt = (t: number) => (domain ? (domain[0] + t * (domain[1] - domain[0])).toPrecision(3) : t.toFixed(2));
  return (
    <fieldset className="controls" aria-label="Heatmap settings">
      <legend>Heatmap</legend>
      <div className="row">
        <label className="check">
          <input type="checkbox" checked={s.show} onChange={(e) => set({ showHeatmap: e.target.checked })} /> Show
        </label>
        <label className="check">
          <input type="checkbox" checked={s.smooth} onChange={(e) => set({ smooth: e.target.checked })} /> Smooth
        </label>
        <label className="field inline">
          <span className="field-label">Grid</span>
          <select value={s.gridLines} onChange={(e) => set({ gridLines: e.target.value as 'auto' | 'on' | 'off' })}>
            <option value="auto">when zoomed</option>
            <option value="on">on</option>
            <option value="off">off</option>
          </select>
        </label>
      </div>
      <label className="field">
        <span className="field-label">Colormap</span>
        <select data-testid="colormap" value={s.colormap} onChange={(e) => set({ colormap: e.target.value as ColormapName })}>
          {SEQUENTIAL_COLORMAPS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <div className="legend" style={{ background: cssGradient(s.colormap) }} aria-hidden="true" />
      <div className="legend-labels muted">
        <span>{fmt(s.lo)}</span>
        <span>{fmt(s.hi)}</span>
      </div>
      <Slider label="Opacity" value={s.opacity} onChange={(v) => set({ opacity: v })} text={`${Math.round(s.opacity * 100)}%`} />
      <Slider label="Threshold" value={s.threshold} onChange={(v) => set({ threshold: v })} text={fmt(s.threshold)} testId="threshold" />
      <Slider label="Range from" value={s.lo} onChange={(v) => set({ lo: Math.min(v, s.hi - 0.01) })} text={fmt(s.lo)} />
      <Slider label="Range to" value={s.hi} onChange={(v) => set({ hi: Math.max(v, s.lo + 0.01) })} text={fmt(s.hi)} />
      <div className="segmented" role="radiogroup" aria-label="Normalisation">
        {NORMS.map((n) => (
          <button
            key={n.id}
            role="radio"
            aria-checked={s.norm === n.id}
            className={s.norm === n.id ? 'active' : ''}
            title={n.title}
            disabled={n.id === 'relative' && !hasGeneric}
            onClick={() => set({ norm: n.id })}
          >
            {n.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

function Slider({
  label,
  value,
  onChange,
  text,
  testId,
}: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  text: string;
  testId?: string;
}) {
  return (
    <label className="field slider">
      <span className="field-label">{label}</span>
      <input
        data-testid={testId}
        type="range"
        min={0}
        max={1}
        step={0.01}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
      />
      <span className="value">{text}</span>
    </label>
  );
}
