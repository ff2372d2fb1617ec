// Small multiples: every head of the selected layer (or range), plus the head mean and max, each with
// its paper coverage of the key box. Click one to select it; thumbnails grow with the panel.
import { useLayoutEffect, useRef } from 'react';
import type { Box } from '../../../electron/contract/types.js';
import { coveragePaper } from '../../../electron/engine/metrics/index.js';
import { paintCanvas } from '../heatmap/paint.js';
import { mapCache } from '../heatmap/maps.js';
import { maxOf } from '../heatmap/scale.js';
import type { AnalysisView } from '../hooks/useAnalysisView.js';
import { isValidBox } from '../box/geometry.js';
import { layerLabel, tokenLabel } from '../selection/labels.js';
import type { HeadSel, SelectionScope } from '../selection/selection.js';
import { useHeatmapStore } from '../stores/heatmap.js';
import { useSelectionActions } from '../stores/selection.js';
import { pct } from './common.js';

export function HeadGrid({ view, box, scope }: { view: AnalysisView; box: Box | null | undefined; scope: SelectionScope }) {
  const colormap = useHeatmapStore((s) => s.colormap);
  const { set } = useSelectionActions();
  const { result, sel } = view;
  const cache = mapCache(result.attention, result.genericAttention);
  const sels: HeadSel[] = ['mean', 'max', ...Array.from({ length: sel.numHeads }, (_, h) => h)];
  const measured = isValidBox(box);
  return (
    <div className="head-grid-wrap">
      <div className="muted small" data-testid="head-grid-label">
        {layerLabel(sel)} · {tokenLabel(sel.query, result.tokens)}
        {measured ? ' · paper coverage of the key box under each' : ' · draw a key box for per-head coverage'}
      </div>
      <div className="head-grid" role="radiogroup" aria-label="Heads">
        {sels.map((h) => {
          const map = cache.raw(sel.from, sel.to, h, sel.query);
          let cov: number | undefined;
          if (measured) {
            try {
              cov = coveragePaper(map, result.geometry, box);
            } catch {
              cov = undefined;
            }
          }
          return (
            <button
              key={String(h)}
              role="radio"
              aria-checked={sel.head === h}
              className={`head-tile ${sel.head === h ? 'active' : ''}`}
              onClick={() => set(scope, { head: h })}
              data-testid={`head-${h}`}
              title={`${typeof h === 'number' ? `head h${h}` : `${h} of ${sel.numHeads} heads`}${cov !== undefined ? ` · coverage ${pct(cov, 2)}` : ''}`}
            >
              <HeadThumb map={map} gridW={result.attention.gridW} gridH={result.attention.gridH} colormap={colormap} />
              <span>{typeof h === 'number' ? `h${h}` : h}</span>
              {cov !== undefined ? (
                <span className="head-cov" data-testid={`head-cov-${h}`}>
                  {pct(cov)}
                </span>
              ) : null}
            </button>
          );
        })}
      </div>
    </div>
  );
}

function HeadThumb({
  map,
  gridW,
  gridH,
  colormap,
}: {
  map: Float64Array;
  gridW: number;
  gridH: number;
  colormap: Parameters<typeof paintCanvas>[4]['colormap'];
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    if (!ref.current) return;
    // Each tile on its own scale: the question is where a head looks, not how strongly.
    const inv = 1 / Math.max(maxOf(map), 1e-12);
    const d = new Float32Array(map.length);
    for (let i = 0; i < map.length; i++) d[i] = map[i] * inv;
    paintCanvas(ref.current, d, gridW, gridH, { colormap, opacity: 1, threshold: 0, lo: 0, hi: 1 });
  }, [map, gridW, gridH, colormap]);
  return <canvas ref={ref} className="head-thumb" style={{ aspectRatio: `${gridW} / ${gridH}` }} />;
}
