// Where chart legends and marker labels go so that nothing overlaps: legends sit above the plot area
// (never over bars or points), wrapped into rows; marker labels that would collide move to another row.
// Text widths are estimated from the character count at the charts' 10 px font, so the layout is the
// same on screen and in the exported SVG/PNG.

export const LEGEND_ROW = 14;
const GAP = 12;

/** Estimated width of a label at the charts' 10 px font. */
const textWidth = (s: string): number => s.length * 6.2;

interface LegendLayout {
  items: { label: string; x: number; row: number }[];
  rows: number;
}

export function legendLayout(labels: readonly string[], width: number, measure: (s: string) => number = textWidth): LegendLayout {
  const items: LegendLayout['items'] = [];
  let x = 0;
  let row = 0;
  for (const label of labels) {
    const w = measure(label);
    if (x > 0 && x + w > width) {
      row++;
      x = 0;
    }
    items.push({ label, x, row });
    x += w + GAP;
  }
  return { items, rows: labels.length > 0 ? row + 1 : 0 };
}

/** Rows for labels centred on their x so that no two in a row overlap; returns each label's row. */
export function stackLabels(labels: readonly { x: number; text: string }[], measure: (s: string) => number = textWidth): number[] {
  const rowEnds: number[] = [];
  const order = labels.map((l, i) => ({ ...l, i })).sort((a, b) => a.x - b.x);
  const out = new Array<number>(labels.length).fill(0);
  for (const l of order) {
    const w = measure(l.text);
    const start = l.x - w / 2;
    let row = rowEnds.findIndex((end) => end + 4 <= start);
    if (row < 0) {
      row = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[row] = l.x + w / 2;
    out[l.i] = row;
  }
  return out;
}
