// Runs the resize passes of resample-kernels.ts in the shared wasm memory (wasm-kernels.ts): lays out the
// buffers, writes the coefficient tables, copies the source in (in strips for the horizontal pass) and the
// result out.
import { coefficients, type Coefficients } from './resample-coefficients.js';
import { GROUP, STRIP_ROWS } from './resample-kernels.js';
import { Layout, release, wasmKernels } from './wasm-kernels.js';

/**
 * One call of Pillow's ImagingResample (horizontal pass first when the width changes, over only the rows
 * the vertical pass reads; then vertical when the height changes). Undefined without WebAssembly SIMD.
 */
export function resampleWasm(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array | undefined {
  const needH = inW !== outW;
  const needV = inH !== outH;
  const vert = needV ? coefficients(inH, outH) : undefined;
  const horz = needH ? coefficients(inW, outW) : undefined;
  const firstRow = vert ? vert.start[0] : 0;
  const rows = vert ? vert.start[outH - 1] + vert.count[outH - 1] - firstRow : inH;
  const inRow = inW * 3;
  const outRow = outW * 3;
  const layout = new Layout();
  // The horizontal pass takes the source in strips of STRIP_ROWS rows, copied in just before they are
  // read (still in cache); only a vertical-only resize needs the whole source in the wasm memory.
  const srcAt = layout.take(horz ? Math.min(rows, STRIP_ROWS) * inRow : src.byteLength);
  const midAt = horz ? layout.take(outRow * rows) : srcAt;
  const dstAt = vert ? layout.take(outRow * outH) : midAt;
  const hAt = horz ? [layout.take(outW * 4), layout.take(outW * 4), layout.take(outW * horz.ksize * 16)] : [];
  const vAt = vert ? [layout.take(outH * 4), layout.take(outH * 4), layout.take(outH * vert.ksize * 4)] : [];
  const k = wasmKernels(layout.size);
  if (!k) return undefined;
  const buf = k.memory.buffer;
  if (horz) {
    checkCounts(horz);
    const start = new Int32Array(buf, hAt[0], outW);
    for (let x = 0; x < outW; x++) start[x] = horz.start[x] * 3;
    new Int32Array(buf, hAt[1], outW).set(horz.count);
    const w = new Int32Array(buf, hAt[2], outW * horz.ksize * 4);
    for (let i = 0; i < horz.weights.length; i++) w.fill(horz.weights[i], i * 4, i * 4 + 4);
    const coef = [hAt[0], hAt[1], hAt[2], horz.ksize * 16];
    for (let r0 = 0; r0 < rows; r0 += STRIP_ROWS) {
      const n = Math.min(STRIP_ROWS, rows - r0);
      const from = (firstRow + r0) * inRow;
      new Uint8Array(buf, srcAt, n * inRow).set(src.subarray(from, from + n * inRow));
      const groups = Math.floor(n / GROUP);
      const to = midAt + r0 * outRow;
      if (groups > 0) k.horizontalGroup(srcAt, to, groups, inRow, outW, ...coef, outRow);
      const done = groups * GROUP;
      if (done < n) k.horizontal1(srcAt + done * inRow, to + done * outRow, n - done, inRow, outW, ...coef, outRow);
    }
  } else {
    new Uint8Array(buf, srcAt, src.byteLength).set(src);
  }
  if (vert) {
    checkCounts(vert);
    const stride = outRow;
    // With a horizontal pass the intermediate starts at firstRow; without, the source is read from row 0.
    const rowOffset = horz ? firstRow : 0;
    const start = new Int32Array(buf, vAt[0], outH);
    for (let y = 0; y < outH; y++) start[y] = (vert.start[y] - rowOffset) * stride;
    new Int32Array(buf, vAt[1], outH).set(vert.count);
    new Int32Array(buf, vAt[2], outH * vert.ksize).set(vert.weights);
    k.vertical(midAt, dstAt, outH, stride, vAt[0], vAt[1], vAt[2], vert.ksize * 4);
  }
  const out = new Uint8Array(buf, dstAt, outW * outH * 3).slice();
  release();
  return out;
}

/** The kernels' tap loops run at least once: every output value has at least one input pixel. */
function checkCounts(c: Coefficients): void {
  for (let i = 0; i < c.count.length; i++) {
    if (c.count[i] < 1) throw new Error(`resample: output index ${i} has no input pixels (${c.count.length} outputs)`);
  }
}
