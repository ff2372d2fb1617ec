// Colour scales for attention maps: robust upper ends (a high percentile instead of the maximum, so one
// sink cell does not turn every other cell black), and what a map's values are for the colour bar.

/** The q-quantile (nearest rank) of the finite values; 0 for none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) xs.push(values[i]);
  if (xs.length === 0) return 0;
  xs.sort((a, b) => a - b);
  const rank = Math.min(xs.length, Math.max(1, Math.ceil(q * xs.length)));
  return xs[rank - 1];
}

export function maxOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** Upper end of a robust scale: the 99th percentile, or the maximum when the percentile is 0 (a sparse map). */
export function robustHi(values: ArrayLike<number>, q = 0.99): number {
  const p = quantile(values, q);
  return p > 0 ? p : Math.max(maxOf(values), 1e-12);
}

/** values / hi as display values (0 = first colour, 1 = last; above 1 is clipped by the painter). */
export function toDisplay(values: ArrayLike<number>, hi: number): Float32Array {
  const inv = 1 / Math.max(hi, 1e-12);
  const d = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) d[i] = values[i] * inv;
  return d;
}

/** How many cells are above `hi` (clipped to the brightest colour). */
export function clippedCount(values: ArrayLike<number>, hi: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > hi) n++;
  return n;
}

/** A number as a colour-bar tick: 3 significant digits, exponent form for tiny values. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toPrecision(3);
}
