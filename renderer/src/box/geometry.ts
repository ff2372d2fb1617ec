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

function clamp(v: number, lo: number, hi: number): number {
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

export function isValidBox(b: Box | null | undefined): b is Box {
  return !!b && b[2] - b[0] >= 1 && b[3] - b[1] >= 1;
}

type BoxDraftResult = { box: Box } | { error: string; field: 'x1' | 'y1' | 'x2' | 'y2' };

const DRAFT_NAMES = ['x1', 'y1', 'x2', 'y2'] as const;

/**
 * Checks a typed box [x1, y1, x2, y2] against a W x H image without changing it: no swapping of
 * inverted corners, no clamping into the image. Returns the box, or the first problem in words.
 */
export function parseBoxDraft(draft: readonly string[], W: number, H: number): BoxDraftResult {
  const v: number[] = [];
  for (let i = 0; i < 4; i++) {
    const text = draft[i]?.trim() ?? '';
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) {
      return { error: `${DRAFT_NAMES[i]} ${text === '' ? 'is empty' : `"${text}" is not a number`}.`, field: DRAFT_NAMES[i] };
    }
    v.push(n);
  }
  for (let i = 0; i < 4; i++) {
    const limit = i % 2 === 0 ? W : H;
    if (v[i] < 0 || v[i] > limit) {
      return {
        error: `${DRAFT_NAMES[i]} = ${v[i]} is outside the image (0–${limit} px${i % 2 === 0 ? ' wide' : ' high'}).`,
        field: DRAFT_NAMES[i],
      };
    }
  }
  if (v[2] <= v[0]) return { error: `x2 (${v[2]}) must be greater than x1 (${v[0]}).`, field: 'x2' };
  if (v[3] <= v[1]) return { error: `y2 (${v[3]}) must be greater than y1 (${v[1]}).`, field: 'y2' };
  return { box: [v[0], v[1], v[2], v[3]] };
}
