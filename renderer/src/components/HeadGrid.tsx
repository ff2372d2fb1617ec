// Small multiples: every head of the current layer, plus the head mean and max. Click one to show it.
import { useLayoutEffect, useRef } from 'react';
import type { AttentionMaps } from '../../../electron/contract/types.js';
import { headAggregate } from '../../../electron/engine/metrics/index.js';
import { paintCanvas } from '../heatmap/paint.js';
import type { HeadSel } from '../heatmap/maps.js';
import { useHeatmapActions, useHeatmapStore } from '../stores/heatmap.js';

export function HeadGrid({ attention, layer, query }: { attention: AttentionMaps; layer: number; query: number }) {
  const head = useHeatmapStore((s) => s.head);
  const colormap = useHeatmapStore((s) => s.colormap);
  const { set } = useHeatmapActions();
  const q = Math.min(query, attention.numQueries - 1);
  const sels: HeadSel[] = ['mean', 'max', ...Array.from({ length: attention.numHeads }, (_, h) => h)];
  return (
    <div className="head-grid" role="radiogroup" aria-label="Heads">
      {sels.map((h) => (
        <button
          key={String(h)}
          role="radio"
          aria-checked={head === h}
          className={`head-tile ${head === h ? 'active' : ''}`}
          onClick={() => set({ head: h })}
          data-testid={`head-${h}`}
        >
          <HeadThumb attention={attention} layer={layer} query={q} head={h} colormap={colormap} />
          <span>{typeof h === 'number' ? `h${h}` : h}</span>
        </button>
      ))}
    </div>
  );
}

function HeadThumb({
  attention,
  layer,
  query,
  head,
  colormap,
}: {
  attention: AttentionMaps;
  layer: number;
  query: number;
  head: HeadSel;
  colormap: Parameters<typeof paintCanvas>[4]['colormap'];
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    if (!ref.current) return;
    const m = headAggregate(attention, layer + 1, typeof head === 'number' ? { head } : head, query);
    // Each tile on its own scale: the question is where a head looks, not how strongly.
    let max = 1e-12;
    for (let i = 0; i < m.length; i++) max = Math.max(max, m[i]);
    const d = new Float32Array(m.length);
    for (let i = 0; i < m.length; i++) d[i] = m[i] / max;
    paintCanvas(ref.current, d, attention.gridW, attention.gridH, { colormap, opacity: 1, threshold: 0, lo: 0, hi: 1 });
  }, [attention, layer, query, head, colormap]);
  return <canvas ref={ref} className="head-thumb" style={{ aspectRatio: `${attention.gridW} / ${attention.gridH}` }} />;
}
