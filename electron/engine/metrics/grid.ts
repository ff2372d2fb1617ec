// Small helpers on a flat row-major grid of attention values (one value per merged visual token).

/** Checks that a value array matches the grid it is said to have; mismatches are programming errors upstream. */
export function assertGridSize(values: ArrayLike<number>, gridH: number, gridW: number): void {
  if (!Number.isInteger(gridH) || !Number.isInteger(gridW) || gridH <= 0 || gridW <= 0) {
    throw new RangeError(`Grid must be positive integers; got ${gridH}x${gridW}.`);
  }
  if (values.length !== gridH * gridW) {
    throw new RangeError(`Attention grid has ${values.length} values but the geometry says ${gridH}x${gridW} = ${gridH * gridW}.`);
  }
}

/** Plain left-to-right double-precision sum (deterministic, order documented in docs/metrics.md). */
export function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** Row-major index of the first maximum (ties go to the earliest cell; NaN never wins). */
export function argMax(values: ArrayLike<number>): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best;
}
