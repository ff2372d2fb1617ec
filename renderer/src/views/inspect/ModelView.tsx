// The model view: every layer x every head of the current item as small multiples (after BertViz's
// model view), each tile on its own scale, with the key box's paper coverage per tile. Click a tile to
// show that layer and head. One canvas: 36 x 32 tiles paint in one pass.
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Box } from '../../../../electron/contract/types.js';
import { coveragePaper } from '../../../../electron/engine/metrics/index.js';
import { lut } from '../../heatmap/colormaps.js';
import { mapCache } from '../../heatmap/maps.js';
import type { AnalysisView } from '../../hooks/useAnalysisView.js';
import { isValidBox } from '../../box/geometry.js';
import { pct } from '../../components/common.js';
import { tokenLabel } from '../../selection/labels.js';
import { useHeatmapStore } from '../../stores/heatmap.js';
import { useElementSize } from '../../util/useElementSize.js';

const LABEL_W = 34;
const HEAD_ROW = 16;

export function ModelView({
  view,
  box,
  onPick,
}: {
  view: AnalysisView;
  box: Box | null | undefined;
  onPick: (layer: number, head: 'mean' | number) => void;
}) {
  const { result, sel } = view;
  const { numLayers, numHeads, gridH, gridW } = result.attention;
  const colormap = useHeatmapStore((s) => s.colormap);
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { width } = useElementSize(wrapRef);
  const [hover, setHover] = useState<{ layer: number; head: 'mean' | number } | null>(null);
  const cols = numHeads + 1; // the head mean first, then every head
  const tileW = Math.max(8, Math.floor((width - LABEL_W) / cols));
  const tileH = Math.max(6, Math.round((tileW * gridH) / gridW));
  const cache = mapCache(result.attention, result.genericAttention);
  const measured = isValidBox(box);

  // Coverage of every (layer, head); index [layer-1][col] with col 0 = mean.
  const coverage = useMemo(() => {
    if (!measured) return null;
    const out: number[][] = [];
    for (let l = 1; l <= numLayers; l++) {
      const row: number[] = [];
      for (let c = 0; c < cols; c++) {
        try {
          row.push(coveragePaper(cache.raw(l, l, c === 0 ? 'mean' : c - 1, sel.query), result.geometry, box));
        } catch {
          row.push(NaN);
        }
      }
      out.push(row);
    }
    return out;
  }, [cache, measured, box, numLayers, cols, sel.query, result.geometry]);
  const best = useMemo(() => {
    if (!coverage) return null;
    let b = { layer: 1, col: 1, v: -1 };
    coverage.forEach((row, l) => row.forEach((v, c) => c > 0 && v > b.v && (b = { layer: l + 1, col: c, v })));
    return b;
  }, [coverage]);

  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || width === 0) return;
    // Every tile at its native grid size into one image, then scaled up without smoothing.
    const img = new ImageData(cols * gridW, numLayers * gridH);
    const table = lut(colormap);
    for (let l = 1; l <= numLayers; l++) {
      for (let c = 0; c < cols; c++) {
        const m = cache.raw(l, l, c === 0 ? 'mean' : c - 1, sel.query);
        let max = 1e-12;
        for (let i = 0; i < m.length; i++) if (m[i] > max) max = m[i];
        for (let r = 0; r < gridH; r++)
          for (let k = 0; k < gridW; k++) {
            const t = Math.min(255, Math.max(0, Math.round((m[r * gridW + k] / max) * 255))) * 3;
            const p = (((l - 1) * gridH + r) * cols * gridW + c * gridW + k) * 4;
            img.data[p] = table[t];
            img.data[p + 1] = table[t + 1];
            img.data[p + 2] = table[t + 2];
            img.data[p + 3] = 255;
          }
      }
    }
    const src = document.createElement('canvas');
    src.width = img.width;
    src.height = img.height;
    src.getContext('2d')!.putImageData(img, 0, 0);
    const dpr = window.devicePixelRatio || 1;
    const W = LABEL_W + cols * tileW;
    const H = HEAD_ROW + numLayers * tileH;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    canvas.style.width = `${W}px`;
    canvas.style.height = `${H}px`;
    const ctx = canvas.getContext('2d')!;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, W, H);
    ctx.imageSmoothingEnabled = false;
    const gap = tileW >= 16 ? 1 : 0;
    for (let l = 0; l < numLayers; l++)
      for (let c = 0; c < cols; c++)
        ctx.drawImage(src, c * gridW, l * gridH, gridW, gridH, LABEL_W + c * tileW, HEAD_ROW + l * tileH, tileW - gap, tileH - gap);
    const fg = getComputedStyle(canvas).color;
    ctx.fillStyle = fg;
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (let l = 0; l < numLayers; l++) ctx.fillText(`L${l + 1}`, 2, HEAD_ROW + l * tileH + tileH / 2);
    for (let c = 0; c < cols; c++) {
      if (c > 0 && tileW < 18 && (c - 1) % 4 !== 0) continue;
      ctx.fillText(c === 0 ? 'mean' : `h${c - 1}`, LABEL_W + c * tileW + 1, HEAD_ROW / 2);
    }
    if (coverage) {
      let maxCov = 1e-12;
      for (const row of coverage) for (const v of row) if (v > maxCov) maxCov = v;
      for (let l = 0; l < numLayers; l++)
        for (let c = 0; c < cols; c++) {
          const v = coverage[l][c];
          if (!Number.isFinite(v)) continue;
          const x = LABEL_W + c * tileW;
          const y = HEAD_ROW + l * tileH;
          // A bar along the tile's foot: coverage relative to the best tile; the number when it fits.
          ctx.fillStyle = 'rgba(0, 229, 255, 0.9)';
          ctx.fillRect(x, y + tileH - gap - 3, Math.max(1, ((tileW - gap) * v) / maxCov), 3);
          if (tileW >= 38) {
            ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
            ctx.fillRect(x, y, Math.min(tileW - gap, 34), 12);
            ctx.fillStyle = '#fff';
            ctx.fillText(`${(v * 100).toFixed(1)}%`, x + 2, y + 6);
          }
        }
    }
    // The selected layer and head.
    const selCol = sel.head === 'mean' ? 0 : typeof sel.head === 'number' ? sel.head + 1 : -1;
    if (selCol >= 0) {
      ctx.strokeStyle = '#ffd166';
      ctx.lineWidth = 2;
      ctx.strokeRect(LABEL_W + selCol * tileW, HEAD_ROW + (sel.from - 1) * tileH, tileW - gap, (sel.to - sel.from + 1) * tileH - gap);
    }
  }, [cache, colormap, coverage, cols, gridH, gridW, numLayers, sel.from, sel.to, sel.head, sel.query, tileH, tileW, width]);

  const tileAt = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const c = Math.floor((e.clientX - r.left - LABEL_W) / tileW);
    const l = Math.floor((e.clientY - r.top - HEAD_ROW) / tileH) + 1;
    if (c < 0 || c >= cols || l < 1 || l > numLayers) return null;
    return { layer: l, head: c === 0 ? ('mean' as const) : c - 1 };
  };
  const covOf = (t: { layer: number; head: 'mean' | number }) => coverage?.[t.layer - 1][t.head === 'mean' ? 0 : t.head + 1];
  return (
    <div className="model-view" ref={wrapRef} data-testid="model-view">
      <div className="small" data-testid="model-view-status">
        {hover ? (
          <>
            <strong>
              layer {hover.layer} · {hover.head === 'mean' ? `mean of ${numHeads} heads` : `head h${hover.head}`}
            </strong>
            {covOf(hover) !== undefined ? ` · coverage ${pct(covOf(hover), 2)}` : ''} · {tokenLabel(sel.query, result.tokens)} · click to
            show it
          </>
        ) : (
          <>
            {numLayers} layers × {numHeads} heads (+ their mean) · {tokenLabel(sel.query, result.tokens)} · each tile on its own scale
            {best
              ? ` · highest coverage: layer ${best.layer}, head h${best.col - 1} (${pct(best.v, 1)})`
              : ' · draw a key box for coverage per tile'}
          </>
        )}
      </div>
      <canvas
        ref={canvasRef}
        className="model-view-canvas"
        data-testid="model-view-canvas"
        onPointerMove={(e) => setHover(tileAt(e))}
        onPointerLeave={() => setHover(null)}
        onClick={(e) => {
          const t = tileAt(e);
          if (t) onPick(t.layer, t.head);
        }}
      />
    </div>
  );
}
