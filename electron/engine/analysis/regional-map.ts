// Maps the regional view's attention back onto the global token grid. Each regional cell covers a
// rectangle of the crop, i.e. of the full image (cropInFull); its attention mass is spread over the global
// cells it overlaps in proportion to the overlap area. Mass is preserved (the mapped grid sums to the
// regional grid's visual mass), so coverage-style sums on the global grid stay comparable between views.
// Separable: overlap area = x-overlap * y-overlap, so the work is two small matrix passes.
import type { AttentionMaps, Box, DualAnalysisResult, GridGeometry } from '../../contract/types.js';
import { headAggregate } from '../metrics/index.js';

/** weights[g * n + r] = share of source interval r (of n over [lo, hi)) that falls in target interval g (of m over [0, size)). */
export function overlapWeights(m: number, size: number, n: number, lo: number, hi: number): Float64Array {
  const w = new Float64Array(m * n);
  const tStep = size / m;
  const sStep = (hi - lo) / n;
  for (let r = 0; r < n; r++) {
    const s0 = lo + r * sStep;
    const s1 = s0 + sStep;
    const gFirst = Math.max(0, Math.floor(s0 / tStep));
    const gLast = Math.min(m - 1, Math.ceil(s1 / tStep) - 1);
    for (let g = gFirst; g <= gLast; g++) {
      const ov = Math.min(s1, (g + 1) * tStep) - Math.max(s0, g * tStep);
      if (ov > 0) w[g * n + r] = ov / sStep;
    }
  }
  return w;
}

/** Resamples one regional grid (rows x cols, row-major) whose cells tile `crop` onto the global grid. */
export function resampleToGlobal(values: ArrayLike<number>, rows: number, cols: number, crop: Box, global: GridGeometry): Float32Array {
  const [x1, y1, x2, y2] = crop;
  const wx = overlapWeights(global.gridW, global.imageWidth, cols, x1, x2);
  const wy = overlapWeights(global.gridH, global.imageHeight, rows, y1, y2);
  // First pass: columns -> global columns, per regional row.
  const tmp = new Float64Array(rows * global.gridW);
  for (let r = 0; r < rows; r++) {
    for (let gc = 0; gc < global.gridW; gc++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += wx[gc * cols + c] * values[r * cols + c];
      tmp[r * global.gridW + gc] = s;
    }
  }
  const out = new Float32Array(global.gridH * global.gridW);
  for (let gr = 0; gr < global.gridH; gr++) {
    for (let r = 0; r < rows; r++) {
      const w = wy[gr * rows + r];
      if (w === 0) continue;
      for (let gc = 0; gc < global.gridW; gc++) out[gr * global.gridW + gc] += w * tmp[r * global.gridW + gc];
    }
  }
  return out;
}

/** Query-0, head-mean regional attention of every layer, on the global grid (DualAnalysisResult.regionalInFull). */
export function regionalInFull(
  regional: AttentionMaps,
  crop: Box,
  global: GridGeometry,
): NonNullable<DualAnalysisResult['regionalInFull']> {
  const cells = global.gridH * global.gridW;
  const data = new Float32Array(regional.numLayers * cells);
  for (let l = 1; l <= regional.numLayers; l++) {
    const map = headAggregate(regional, l, 'mean', 0);
    data.set(resampleToGlobal(map, regional.gridH, regional.gridW, crop, global), (l - 1) * cells);
  }
  return { numLayers: regional.numLayers, gridH: global.gridH, gridW: global.gridW, data };
}
