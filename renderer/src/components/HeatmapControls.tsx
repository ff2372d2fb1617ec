// How heatmaps are painted: colormap, opacity, threshold, the part of the scale the colours span,
// smooth/cells and grid lines. Shared by every view: none of it changes a number. (What is measured is
// each view's selection: SelectionBar.)
import { SEQUENTIAL_COLORMAPS, type ColormapName } from '../heatmap/colormaps.js';
import { useHeatmapActions, useHeatmapStore } from '../stores/heatmap.js';
import { useShallow } from 'zustand/react/shallow';

export function HeatmapControls() {
  const s = useHeatmapStore(
    useShallow((st) => ({
      colormap: st.colormap,
      opacity: st.opacity,
      threshold: st.threshold,
      lo: st.lo,
      hi: st.hi,
      smooth: st.smooth,
      gridLines: st.gridLines,
      show: st.showHeatmap,
    })),
  );
  const { set } = useHeatmapActions();
  const pctText = (v: number) => `${Math.round(v * 100)}%`;
  return (
    <details className="controls" aria-label="Heatmap painting" open>
      <summary>Painting (changes no number)</summary>
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
        <label className="field inline">
          <span className="field-label">Colours</span>
          <select data-testid="colormap" value={s.colormap} onChange={(e) => set({ colormap: e.target.value as ColormapName })}>
            {SEQUENTIAL_COLORMAPS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Slider label="Opacity" value={s.opacity} onChange={(v) => set({ opacity: v })} text={pctText(s.opacity)} />
      <Slider
        label="Hide below"
        value={s.threshold}
        onChange={(v) => set({ threshold: v })}
        text={pctText(s.threshold)}
        testId="threshold"
      />
      <Slider label="Colours from" value={s.lo} onChange={(v) => set({ lo: Math.min(v, s.hi - 0.01) })} text={pctText(s.lo)} />
      <Slider label="Colours to" value={s.hi} onChange={(v) => set({ hi: Math.max(v, s.lo + 0.01) })} text={pctText(s.hi)} />
      <div className="muted small">Percentages are of the scale’s upper end (see the colour bar).</div>
    </details>
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
