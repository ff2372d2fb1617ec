// Box arithmetic in original image pixels (the contract's Box = [x1, y1, x2, y2]).
import type { Box } from '../../../electron/contract/types.js';

export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
export const HANDLES: Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

export function normalizeBox(b: Box, w: number, h: number): Box {
  const x1 = clamp(Math.min(b[0], b[2]), 0, w);
  const x2 = clamp(Math.max(b[0], b[2]), 0, w);
  const y1 = clamp(Math.min(b[1], b[3]), 0, h);
  const y2 = clamp(Math.max(b[1], b[3]), 0, h);
  return [Math.round(x1), Math.round(y1), Math.round(x2), Math.round(y2)];
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Moves a box by (dx, dy) keeping its size and keeping it inside the image. */
export function moveBox(b: Box, dx: number, dy: number, w: number, h: number): Box {
  const bw = b[2] - b[0];
  const bh = b[3] - b[1];
  const x1 = clamp(b[0] + dx, 0, w - bw);
  const y1 = clamp(b[1] + dy, 0, h - bh);
  return [Math.round(x1), Math.round(y1), Math.round(x1 + bw), Math.round(y1 + bh)];
}

export function resizeBox(b: Box, handle: Handle, x: number, y: number, w: number, h: number): Box {
  let [x1, y1, x2, y2] = b;
  if (handle.includes('w')) x1 = x;
  if (handle.includes('e')) x2 = x;
  if (handle.includes('n')) y1 = y;
  if (handle.includes('s')) y2 = y;
  return normalizeBox([x1, y1, x2, y2], w, h);
}

export function handlePoint(b: Box, handle: Handle): [number, number] {
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  const x = handle.includes('w') ? b[0] : handle.includes('e') ? b[2] : cx;
  const y = handle.includes('n') ? b[1] : handle.includes('s') ? b[3] : cy;
  return [x, y];
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function isValidBox(b: Box | null | undefined): b is Box {
  return !!b && b[2] - b[0] >= 1 && b[3] - b[1] >= 1;
}
