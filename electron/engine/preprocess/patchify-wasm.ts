// Runs the patch-order kernels (patch-kernels.ts) one row of merge blocks at a time: that row's pixels are
// copied into the shared wasm memory (wasm-kernels.ts), turned into float planes, laid out in patch order
// and copied into the caller's array, so the wasm memory holds one block row, not the whole output.
import { Layout, release, wasmKernels } from './wasm-kernels.js';

/**
 * Fills `data` (the [gridH * gridW, 3 * T * P * P] output) from 8-bit RGB through `lut` (768 float32:
 * 256 per channel). False, with nothing written, where the runtime has no WebAssembly SIMD.
 */
export function patchOrderWasm(
  rgb: Uint8Array,
  width: number,
  height: number,
  sizes: { P: number; M: number; T: number },
  lut: Float32Array,
  data: Float32Array,
): boolean {
  const { P, M, T } = sizes;
  const blockRows = P * M;
  const chunkPx = width * blockRows;
  const blocksW = width / blockRows;
  const runs = blocksW * M * M * 3 * T * P;
  const layout = new Layout();
  const srcAt = layout.take(chunkPx * 3);
  const lutAt = layout.take(lut.byteLength);
  const planesAt = layout.take(chunkPx * 12);
  const tableAt = layout.take(runs * 4);
  const outAt = layout.take(runs * P * 4);
  const k = wasmKernels(layout.size);
  if (!k) return false;
  const buf = k.memory.buffer;
  new Float32Array(buf, lutAt, lut.length).set(lut);
  // Where each run starts in the planes: the same for every block row.
  const table = new Int32Array(buf, tableAt, runs);
  let r = 0;
  for (let bx = 0; bx < blocksW; bx++)
    for (let mh = 0; mh < M; mh++)
      for (let mw = 0; mw < M; mw++)
        for (let c = 0; c < 3; c++)
          for (let t = 0; t < T; t++)
            for (let py = 0; py < P; py++) table[r++] = (c * chunkPx + (mh * P + py) * width + (bx * M + mw) * P) * 4;
  const src = new Uint8Array(buf, srcAt, chunkPx * 3);
  const out = new Float32Array(buf, outAt, runs * P);
  for (let by = 0; by < height / blockRows; by++) {
    src.set(rgb.subarray(by * chunkPx * 3, (by + 1) * chunkPx * 3));
    k.planes(srcAt, planesAt, lutAt, chunkPx);
    k.patchOrder(planesAt, outAt, tableAt, runs, P * 4, Math.ceil(P / 4));
    data.set(out, by * runs * P);
  }
  release();
  return true;
}
