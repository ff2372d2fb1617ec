// Activation maps (Token Activation Map, Li et al., ICCV 2025, arXiv 2506.23270; docs/metrics.md
// "Activation maps"). For an answer token c, each visual position v scores relu(h_v . u_c): its final
// normalised hidden state against c's unembedding row, i.e. the logit it would give c (logit lens at the
// last layer). Earlier context tokens leave activation that is not about c; TAM's estimated causal
// inference removes it: the interference map is the context maps' average weighted by how strongly each
// context token itself scores c, scaled by least squares onto the map, and subtracted (then relu). A
// rank Gaussian filter denoises the result.

/** relu(h_v . u) for every visual position; `hidden` is [positions, width] row-major. */
export function activationMap(hidden: ArrayLike<number>, width: number, unembedding: ArrayLike<number>): Float64Array {
  if (unembedding.length !== width)
    throw new RangeError(`The unembedding row has ${unembedding.length} values; the hidden width is ${width}.`);
  if (hidden.length % width !== 0) throw new RangeError(`Hidden states of ${hidden.length} values are not rows of width ${width}.`);
  const n = hidden.length / width;
  const out = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    let dot = 0;
    for (let k = 0; k < width; k++) dot += hidden[v * width + k] * unembedding[k];
    out[v] = dot > 0 ? dot : 0;
  }
  return out;
}

export interface ContextMap {
  map: ArrayLike<number>;
  /** relu of the context token's own logit for the explained token (its weight in the interference). */
  weight: number;
}

/**
 * TAM's estimated causal inference. interference = sum_k w_k m_k / sum_k w_k over the context maps;
 * alpha = argmin ||m - alpha * interference||^2 = (m . i) / (i . i); result = relu(m - alpha * i).
 * Context tokens identical to the explained token are excluded by the caller. With no context weight
 * the map is returned unchanged.
 */
export function contextCorrected(map: ArrayLike<number>, context: readonly ContextMap[]): { map: Float64Array; alpha: number } {
  const n = map.length;
  const weightSum = context.reduce((a, c) => a + Math.max(0, c.weight), 0);
  if (context.length === 0 || !(weightSum > 0)) return { map: Float64Array.from(map), alpha: 0 };
  const interference = new Float64Array(n);
  for (const c of context) {
    if (c.map.length !== n) throw new RangeError(`A context map has ${c.map.length} cells; the explained map has ${n}.`);
    const w = Math.max(0, c.weight) / weightSum;
    for (let i = 0; i < n; i++) interference[i] += w * c.map[i];
  }
  let mi = 0;
  let ii = 0;
  for (let i = 0; i < n; i++) {
    mi += map[i] * interference[i];
    ii += interference[i] * interference[i];
  }
  const alpha = ii > 0 ? mi / ii : 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, map[i] - alpha * interference[i]);
  return { map: out, alpha };
}

/** Index into a reflect-padded axis (numpy's 'reflect': the edge value is not repeated). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

/**
 * TAM's rank Gaussian filter: for each cell, the k x k neighbourhood (reflect padding) sorted ascending
 * and averaged with Gaussian weights over rank offsets -(k^2-1)/2 .. (k^2-1)/2, whose sigma is the
 * neighbourhood's coefficient of variation (population std / mean); 0 where the neighbourhood's mean is
 * not positive. Robust to single hot cells (attention-sink-like outliers) while keeping a blob's shape.
 */
export function rankGaussianFilter(map: ArrayLike<number>, gridH: number, gridW: number, kernel = 3): Float64Array {
  if (map.length !== gridH * gridW) throw new RangeError(`Map has ${map.length} cells; the grid is ${gridH}x${gridW}.`);
  if (kernel < 1 || kernel % 2 === 0) throw new RangeError(`The filter size must be odd and positive; got ${kernel}.`);
  const half = (kernel - 1) / 2;
  const k2 = kernel * kernel;
  const centre = Math.floor(k2 / 2);
  const out = new Float64Array(gridH * gridW);
  const window = new Float64Array(k2);
  for (let r = 0; r < gridH; r++) {
    for (let c = 0; c < gridW; c++) {
      let n = 0;
      for (let dr = -half; dr <= half; dr++)
        for (let dc = -half; dc <= half; dc++) window[n++] = map[reflect(r + dr, gridH) * gridW + reflect(c + dc, gridW)];
      window.sort();
      let mean = 0;
      for (let i = 0; i < k2; i++) mean += window[i];
      mean /= k2;
      if (!(mean > 0)) continue;
      let variance = 0;
      for (let i = 0; i < k2; i++) variance += (window[i] - mean) ** 2;
      const sigma = Math.sqrt(variance / k2) / mean;
      let weightSum = 0;
      let value = 0;
      for (let i = 0; i < k2; i++) {
        // sigma = 0 (a flat neighbourhood): every rank has the same value, any weighting returns it.
        const w = sigma > 0 ? Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)) : i === centre ? 1 : 0;
        weightSum += w;
        value += w * window[i];
      }
      out[r * gridW + c] = value / weightSum;
    }
  }
  return out;
}
