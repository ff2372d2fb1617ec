// The key box over the image: drag on the image to draw, drag inside to move, drag a handle to resize;
// keyboard: arrows move (Shift = 10x), Ctrl/Cmd + arrows resize, Delete clears. Coordinates are original pixels.
import { useRef } from 'react';
import type { Box } from '../../../electron/contract/types.js';
import { HANDLES, handlePoint, isValidBox, moveBox, normalizeBox, resizeBox, type Handle } from './geometry.js';

export interface ExtraBox {
  box: Box;
  label: string;
  className?: string;
}

interface Props {
  W: number;
  H: number;
  box: Box | null;
  onChange?: (b: Box | null) => void;
  extra?: ExtraBox[];
  /** Screen pixels per image pixel: keeps handles a constant size on screen. */
  scale: number;
}

type Drag =
  | { mode: 'draw'; x0: number; y0: number; before: Box | null }
  | { mode: 'move'; x0: number; y0: number; orig: Box }
  | { mode: 'resize'; handle: Handle; orig: Box };

export function BoxLayer({ W, H, box, onChange, extra, scale }: Props) {
  const svgRef = useRef<SVGSVGElement>(null);
  const drag = useRef<Drag | null>(null);
  const editable = !!onChange;

  const point = (e: React.PointerEvent): [number, number] => {
    const r = svgRef.current!.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * W, ((e.clientY - r.top) / r.height) * H];
  };
  const begin = (e: React.PointerEvent, d: Drag) => {
    if (!editable || e.button !== 0) return;
    e.stopPropagation();
    e.preventDefault();
    drag.current = d;
    svgRef.current!.setPointerCapture(e.pointerId);
  };
  const onMove = (e: React.PointerEvent) => {
    const d = drag.current;
    if (!d || !onChange) return;
    const [x, y] = point(e);
    if (d.mode === 'draw') onChange(normalizeBox([d.x0, d.y0, x, y], W, H));
    else if (d.mode === 'move') onChange(moveBox(d.orig, x - d.x0, y - d.y0, W, H));
    else onChange(resizeBox(d.orig, d.handle, x, y, W, H));
  };
  const onUp = () => {
    const d = drag.current;
    drag.current = null;
    // A click without a drag must not leave a zero-size box behind.
    if (d?.mode === 'draw' && onChange && !isValidBox(box)) onChange(d.before);
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (!box || !onChange) return;
    const step = e.shiftKey ? 10 : 1;
    const dx = e.key === 'ArrowLeft' ? -step : e.key === 'ArrowRight' ? step : 0;
    const dy = e.key === 'ArrowUp' ? -step : e.key === 'ArrowDown' ? step : 0;
    if (e.key === 'Delete' || e.key === 'Backspace') onChange(null);
    else if (dx || dy) {
      if (e.ctrlKey || e.metaKey)
        onChange(normalizeBox([box[0], box[1], Math.max(box[0] + 1, box[2] + dx), Math.max(box[1] + 1, box[3] + dy)], W, H));
      else onChange(moveBox(box, dx, dy, W, H));
    } else return;
    e.preventDefault();
    e.stopPropagation();
  };

  const hs = 7 / scale;
  return (
    <svg
      ref={svgRef}
      className={`box-layer ${editable ? 'editable' : ''}`}
      viewBox={`0 0 ${W} ${H}`}
      onPointerDown={(e) => {
        const [x, y] = point(e);
        begin(e, { mode: 'draw', x0: x, y0: y, before: box });
      }}
      onPointerMove={onMove}
      onPointerUp={onUp}
      onPointerCancel={onUp}
    >
      {extra?.map((x, i) => (
        <g key={i} className={`extra-box ${x.className ?? ''}`}>
          <rect x={x.box[0]} y={x.box[1]} width={x.box[2] - x.box[0]} height={x.box[3] - x.box[1]} vectorEffect="non-scaling-stroke" />
          <text x={x.box[0]} y={x.box[1]} dy={-4 / scale} fontSize={12 / scale}>
            {x.label}
          </text>
        </g>
      ))}
      {box && isValidBox(box) ? (
        <g className="key-box">
          <rect
            data-testid="key-box"
            x={box[0]}
            y={box[1]}
            width={box[2] - box[0]}
            height={box[3] - box[1]}
            vectorEffect="non-scaling-stroke"
            tabIndex={editable ? 0 : -1}
            role={editable ? 'button' : undefined}
            aria-label={`Key box ${box.join(', ')}. Arrows move, Ctrl+arrows resize, Delete clears.`}
            onKeyDown={onKey}
            onPointerDown={(e) => {
              const [x, y] = point(e);
              begin(e, { mode: 'move', x0: x, y0: y, orig: box });
            }}
          />
          {editable
            ? HANDLES.map((h) => {
                const [x, y] = handlePoint(box, h);
                return (
                  <rect
                    key={h}
                    className={`handle handle-${h}`}
                    x={x - hs / 2}
                    y={y - hs / 2}
                    width={hs}
                    height={hs}
                    vectorEffect="non-scaling-stroke"
                    onPointerDown={(e) => begin(e, { mode: 'resize', handle: h, orig: box })}
                  />
                );
              })
            : null}
        </g>
      ) : null}
    </svg>
  );
}
