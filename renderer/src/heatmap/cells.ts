// Where a point of the image falls on the token grid, and what a cell covers: for the hover readout.
// The grid covers the whole original image (contract GridGeometry): cell (r, c) spans
// x in [c * W / gridW, (c + 1) * W / gridW) and y in [r * H / gridH, (r + 1) * H / gridH).

export interface Cell {
  row: number;
  col: number;
  index: number;
}

/** The cell under image pixel (x, y), or null outside the image. */
export function cellAt(x: number, y: number, W: number, H: number, gridW: number, gridH: number): Cell | null {
  if (!(x >= 0 && y >= 0 && x < W && y < H)) return null;
  const col = Math.min(gridW - 1, Math.floor((x / W) * gridW));
  const row = Math.min(gridH - 1, Math.floor((y / H) * gridH));
  return { row, col, index: row * gridW + col };
}

/** The cell's rectangle [x1, y1, x2, y2] in original-image pixels. */
export function cellRect(row: number, col: number, W: number, H: number, gridW: number, gridH: number): [number, number, number, number] {
  return [(col * W) / gridW, (row * H) / gridH, ((col + 1) * W) / gridW, ((row + 1) * H) / gridH];
}

/** 1-based rank of cell i among all cells (1 = the largest value; ties share the better rank). */
export function rankOf(values: ArrayLike<number>, i: number): number {
  const v = values[i];
  let above = 0;
  for (let k = 0; k < values.length; k++) if (values[k] > v) above++;
  return above + 1;
}

/** Share of the map's total in cell i. */
export function shareOf(values: ArrayLike<number>, i: number): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total > 0 ? values[i] / total : 0;
}
