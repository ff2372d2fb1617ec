// An image with the attention grid painted over it, zoom and pan, token grid lines, the box layer and a
// readout of the cell under the pointer (value, rank, row/column, pixel rectangle).
// The overlay canvas is gridW x gridH pixels stretched by CSS over the whole image: the grid covers the
// whole image (GridGeometry), so cell (r, c) lands exactly on [c*W/gridW, (c+1)*W/gridW) x [r*H/gridH, ...).
import { useCallback, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Box } from '../../../electron/contract/types.js';
import { useHeatmapStore } from '../stores/heatmap.js';
import { useShallow } from 'zustand/react/shallow';
import { useElementSize } from '../util/useElementSize.js';
import { paintCanvas, type PaintOptions } from './paint.js';
import { BoxLayer, type ExtraBox } from '../box/BoxLayer.js';
import { notePaint } from './paint-stats.js';
import { cellAt, cellRect, rankOf, shareOf, type Cell } from './cells.js';
import { formatValue } from './scale.js';

/** The numbers behind the painted map, for the hover readout. */
interface Readout {
  values: ArrayLike<number>;
  units: string;
  /** What the map is ("layer 3 · mean of 4 heads · prompt token"). */
  label: string;
}

interface HeatmapCanvasProps {
  label: string;
  imageUrl: string | null;
  imageWidth: number;
  imageHeight: number;
  /** Display values in [0,1], row-major gridH x gridW; null draws the image only. */
  map: Float32Array | null;
  gridW: number;
  gridH: number;
  box?: Box | null;
  onBoxChange?: (b: Box | null) => void;
  extraBoxes?: ExtraBox[];
  /** Overrides of the shared settings (the difference map uses a diverging colormap). */
  paint?: Partial<PaintOptions>;
  readout?: Readout;
  testId?: string;
  /** Lets a parent export the overlay. */
  canvasRef?: (el: HTMLCanvasElement | null) => void;
  imageRef?: (el: HTMLImageElement | null) => void;
  children?: ReactNode;
}

interface View {
  zoom: number;
  tx: number;
  ty: number;
}

const MIN_ZOOM = 1;
const MAX_ZOOM = 32;

export function HeatmapCanvas(props: HeatmapCanvasProps) {
  const { imageWidth: W, imageHeight: H, map, gridW, gridH } = props;
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
  const frameRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const size = useElementSize(frameRef);
  const [view, setView] = useState<View>({ zoom: 1, tx: 0, ty: 0 });
  const panning = useRef<{ x: number; y: number; tx: number; ty: number } | null>(null);
  const [hover, setHover] = useState<Cell | null>(null);

  const fit = W > 0 && H > 0 && size.width > 0 ? Math.min(size.width / W, size.height / H) : 1;
  const scale = fit * view.zoom;
  // Centre the image when it is smaller than the frame; otherwise keep the pan inside the image.
  const clampPan = useCallback(
    (v: View): View => {
      const sc = fit * v.zoom;
      const free = (frame: number, img: number, t: number) => (img <= frame ? (frame - img) / 2 : Math.min(0, Math.max(frame - img, t)));
      return { zoom: v.zoom, tx: free(size.width, W * sc, v.tx), ty: free(size.height, H * sc, v.ty) };
    },
    [fit, size.width, size.height, W, H],
  );
  const cv = clampPan(view);

  const paint = props.paint;
  const opts: PaintOptions = useMemo(
    () => ({
      colormap: paint?.colormap ?? s.colormap,
      opacity: paint?.opacity ?? s.opacity,
      threshold: paint?.threshold ?? s.threshold,
      lo: paint?.lo ?? s.lo,
      hi: paint?.hi ?? s.hi,
    }),
    [paint?.colormap, paint?.opacity, paint?.threshold, paint?.lo, paint?.hi, s.colormap, s.opacity, s.threshold, s.lo, s.hi],
  );
  // Layout effect: the repaint lands in the same frame as the slider input that caused it.
  useLayoutEffect(() => {
    const c = canvasRef.current;
    if (!c || !map) return;
    const t0 = performance.now();
    paintCanvas(c, map, gridW, gridH, opts);
    notePaint(performance.now() - t0);
    c.dataset.paints = String(Number(c.dataset.paints ?? '0') + 1);
  }, [map, gridW, gridH, opts]);

  const zoomAt = (factor: number, cx: number, cy: number) => {
    setView((v) => {
      const cur = clampPan(v);
      const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, cur.zoom * factor));
      const k = zoom / cur.zoom;
      return clampPan({ zoom, tx: cx - (cx - cur.tx) * k, ty: cy - (cy - cur.ty) * k });
    });
  };
  const onWheel = (e: React.WheelEvent) => {
    const r = frameRef.current!.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX - r.left, e.clientY - r.top);
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.target !== e.currentTarget) return;
    const c = [size.width / 2, size.height / 2] as const;
    if (e.key === '+' || e.key === '=') zoomAt(1.25, c[0], c[1]);
    else if (e.key === '-') zoomAt(1 / 1.25, c[0], c[1]);
    else if (e.key === '0') setView({ zoom: 1, tx: 0, ty: 0 });
    else if (e.key.startsWith('Arrow') && view.zoom > 1) {
      const d = 40;
      const dx = e.key === 'ArrowLeft' ? d : e.key === 'ArrowRight' ? -d : 0;
      const dy = e.key === 'ArrowUp' ? d : e.key === 'ArrowDown' ? -d : 0;
      setView((v) => clampPan({ ...clampPan(v), tx: cv.tx + dx, ty: cv.ty + dy }));
    } else return;
    e.preventDefault();
  };
  // Pan with the middle or right button, or with Alt/Space + left button (left alone draws boxes).
  const startPan = (e: React.PointerEvent) => {
    panning.current = { x: e.clientX, y: e.clientY, tx: cv.tx, ty: cv.ty };
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    // Keep the box layer from also starting a draw.
    e.stopPropagation();
  };
  const onPointerDown = (e: React.PointerEvent) => {
    // Controls drawn over the image (the zoom badge's fit button) keep their clicks.
    if ((e.target as Element).closest('button')) return;
    if (e.button === 1 || e.button === 2 || e.altKey || !props.onBoxChange) startPan(e);
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const p = panning.current;
    if (!p) {
      if (!props.readout || !map) return;
      const r = frameRef.current!.getBoundingClientRect();
      const c = cellAt((e.clientX - r.left - cv.tx) / scale, (e.clientY - r.top - cv.ty) / scale, W, H, gridW, gridH);
      if (c?.index !== hover?.index) setHover(c);
      return;
    }
    setView((v) => clampPan({ zoom: v.zoom, tx: p.tx + e.clientX - p.x, ty: p.ty + e.clientY - p.y }));
  };
  const onPointerUp = () => {
    panning.current = null;
  };

  const cellPx = (W / Math.max(1, gridW)) * scale;
  // 'auto': only once zoomed in and cells are big enough that lines do not hide the image.
  const showLines = map && (s.gridLines === 'on' || (s.gridLines === 'auto' && view.zoom > 1 && cellPx >= 24));

  return (
    <div
      ref={frameRef}
      className="heatmap-frame"
      data-testid={props.testId}
      tabIndex={0}
      role="img"
      aria-label={`${props.label}. Plus and minus zoom, 0 resets, arrows pan when zoomed.`}
      onWheel={onWheel}
      onKeyDown={onKeyDown}
      onPointerDownCapture={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerLeave={() => setHover(null)}
      onContextMenu={(e) => e.preventDefault()}
    >
      {props.imageUrl ? (
        <div className="heatmap-stage" style={{ width: W, height: H, transform: `translate(${cv.tx}px, ${cv.ty}px) scale(${scale})` }}>
          <img ref={props.imageRef} src={props.imageUrl} width={W} height={H} alt="" draggable={false} />
          {map && s.show ? (
            <canvas
              ref={(el) => {
                canvasRef.current = el;
                props.canvasRef?.(el);
              }}
              className={`heatmap-overlay ${s.smooth ? 'smooth' : 'cells'}`}
              data-testid={props.testId ? `${props.testId}-overlay` : undefined}
            />
          ) : null}
          {showLines ? <GridLines W={W} H={H} gridW={gridW} gridH={gridH} /> : null}
          {hover && props.readout && map ? <HoverCell cell={hover} W={W} H={H} gridW={gridW} gridH={gridH} scale={scale} /> : null}
          <BoxLayer W={W} H={H} box={props.box ?? null} onChange={props.onBoxChange} extra={props.extraBoxes} scale={scale} />
        </div>
      ) : null}
      {props.children}
      {hover && props.readout && map ? <CellReadout cell={hover} readout={props.readout} W={W} H={H} gridW={gridW} gridH={gridH} /> : null}
      {view.zoom > 1 ? (
        <div className="zoom-badge">
          {Math.round(view.zoom * 100)}%
          <button
            className="link"
            onClick={() => setView({ zoom: 1, tx: 0, ty: 0 })}
            data-testid={props.testId ? `${props.testId}-fit` : undefined}
          >
            fit
          </button>
        </div>
      ) : (
        <div className="zoom-hint muted">wheel or + to zoom</div>
      )}
    </div>
  );
}

function HoverCell({ cell, W, H, gridW, gridH, scale }: { cell: Cell; W: number; H: number; gridW: number; gridH: number; scale: number }) {
  const [x1, y1, x2, y2] = cellRect(cell.row, cell.col, W, H, gridW, gridH);
  return (
    <div
      className="hover-cell"
      style={{ left: x1, top: y1, width: x2 - x1, height: y2 - y1, borderWidth: 1.5 / scale }}
      aria-hidden="true"
    />
  );
}

function CellReadout({
  cell,
  readout,
  W,
  H,
  gridW,
  gridH,
}: {
  cell: Cell;
  readout: Readout;
  W: number;
  H: number;
  gridW: number;
  gridH: number;
}) {
  const v = readout.values[cell.index];
  const rect = cellRect(cell.row, cell.col, W, H, gridW, gridH).map((x) => Math.round(x));
  return (
    <div className="cell-readout" data-testid="cell-readout" role="status">
      <div>
        <strong>{formatValue(v)}</strong> {readout.units} · {(shareOf(readout.values, cell.index) * 100).toFixed(2)}% of the map
      </div>
      <div>
        rank {rankOf(readout.values, cell.index)} of {readout.values.length} · row {cell.row}, col {cell.col}
      </div>
      <div>
        pixels [{rect.join(', ')}] · {readout.label}
      </div>
    </div>
  );
}

function GridLines({ W, H, gridW, gridH }: { W: number; H: number; gridW: number; gridH: number }) {
  const lines: ReactNode[] = [];
  for (let c = 1; c < gridW; c++) {
    const x = (c * W) / gridW;
    lines.push(<line key={`c${c}`} x1={x} y1={0} x2={x} y2={H} />);
  }
  for (let r = 1; r < gridH; r++) {
    const y = (r * H) / gridH;
    lines.push(<line key={`r${r}`} x1={0} y1={y} x2={W} y2={y} />);
  }
  return (
    <svg className="grid-lines" viewBox={`0 0 ${W} ${H}`} aria-hidden="true">
      {lines}
    </svg>
  );
}
