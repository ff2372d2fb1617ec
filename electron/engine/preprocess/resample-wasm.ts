// Pillow's two resize passes (resample-coefficients.ts) as WebAssembly SIMD kernels, built at first use by
// wasm-asm.ts. Same integers, same order of additions per output value, int32 wrap-around like C's and
// JS's `| 0`, and the clamp to 0..255 done by the saturating narrows (i32 -> i16 signed, i16 -> u8
// unsigned), so the bytes equal the JS kernels' (resample.test.ts checks it) and Pillow's (conformance).
//   horizontal: one output pixel's R, G, B (and a discarded fourth lane) per i32x4; each tap adds the
//     source pixel's bytes, widened, times the tap's weight (stored splatted over four lanes).
//   vertical: sixteen bytes of an output row at once (four i32x4 accumulators); each tap adds a source
//     row's sixteen bytes times the tap's weight.
// Kernels read up to 15 bytes past a buffer and write up to 15 past a row (a later row overwrites them),
// so every buffer in the wasm memory is followed by SLACK spare bytes.
import { coefficients, HALF, PRECISION_BITS, type Coefficients } from './resample-coefficients.js';
import { assemble, I32, op, V128, v, type FunctionDef } from './wasm-asm.js';

const SLACK = 32;
/** After a call leaves the memory larger than this (a very large image), it is dropped, not kept. */
const KEEP_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;

// horizontal(src, dst, rows, inRowBytes, outW, startPtr, countPtr, weightPtr, ksize16)
const H = { src: 0, dst: 1, rows: 2, inRow: 3, outW: 4, start: 5, count: 6, w: 7, ksize16: 8 };
const HL = { y: 9, x: 10, p: 11, n: 12, k: 13, o: 14, rowIn: 15, acc: 16, half: 17 };
const horizontalFn: FunctionDef = {
  name: 'horizontal',
  params: 9,
  locals: [
    { type: I32, count: 7 },
    { type: V128, count: 2 },
  ],
  body: [
    [...op.i32Const(HALF), ...v.i32x4Splat, ...op.set(HL.half)],
    [...op.get(H.dst), ...op.set(HL.o), ...op.get(H.src), ...op.set(HL.rowIn)],
    op.loop, // rows
    [...op.i32Const(0), ...op.set(HL.x)],
    op.loop, // output pixels
    [...op.get(HL.rowIn), ...op.get(H.start), ...op.get(HL.x), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load],
    [...op.i32Add, ...op.set(HL.p)],
    [...op.get(H.count), ...op.get(HL.x), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load, ...op.set(HL.n)],
    [...op.get(H.w), ...op.get(HL.x), ...op.get(H.ksize16), ...op.i32Mul, ...op.i32Add, ...op.set(HL.k)],
    [...op.get(HL.half), ...op.set(HL.acc)],
    op.loop, // taps (count >= 1)
    [...op.get(HL.acc), ...op.get(HL.p), ...v.load8x8U, ...v.i32x4ExtendLowI16x8U, ...op.get(HL.k), ...v.load, ...v.i32x4Mul],
    [...v.i32x4Add, ...op.set(HL.acc)],
    [...op.get(HL.p), ...op.i32Const(3), ...op.i32Add, ...op.set(HL.p)],
    [...op.get(HL.k), ...op.i32Const(16), ...op.i32Add, ...op.set(HL.k)],
    [...op.get(HL.n), ...op.i32Const(1), ...op.i32Sub, ...op.tee(HL.n), ...op.brIf(0)],
    op.end,
    [...op.get(HL.o), ...op.get(HL.acc), ...op.i32Const(PRECISION_BITS), ...v.i32x4ShrS, ...op.tee(HL.acc), ...op.get(HL.acc)],
    [...v.i16x8NarrowI32x4S, ...op.tee(HL.acc), ...op.get(HL.acc), ...v.i8x16NarrowI16x8U, ...v.store32Lane0],
    [...op.get(HL.o), ...op.i32Const(3), ...op.i32Add, ...op.set(HL.o)],
    [...op.get(HL.x), ...op.i32Const(1), ...op.i32Add, ...op.tee(HL.x), ...op.get(H.outW), ...op.i32LtU, ...op.brIf(0)],
    op.end,
    [...op.get(HL.rowIn), ...op.get(H.inRow), ...op.i32Add, ...op.set(HL.rowIn)],
    [...op.get(HL.y), ...op.i32Const(1), ...op.i32Add, ...op.tee(HL.y), ...op.get(H.rows), ...op.i32LtU, ...op.brIf(0)],
    op.end,
  ],
};

// vertical(src, dst, outH, stride, startPtr, countPtr, weightPtr, ksize4); startPtr holds byte offsets
const V = { src: 0, dst: 1, outH: 2, stride: 3, start: 4, count: 5, w: 6, ksize4: 7 };
const VL = { y: 8, j: 9, p: 10, i: 11, k: 12, o: 13, first: 14, n: 15, kw: 16 };
const VV = { a0: 17, a1: 18, a2: 19, a3: 20, w: 21, px: 22, half16: 23, half: 24 };
const mac = (acc: number, widen: number[]) => [
  ...op.get(acc),
  ...op.get(VV.half16),
  ...widen,
  ...op.get(VV.w),
  ...v.i32x4Mul,
  ...v.i32x4Add,
  ...op.set(acc),
];
const shifted = (acc: number) => [...op.get(acc), ...op.i32Const(PRECISION_BITS), ...v.i32x4ShrS];
const verticalFn: FunctionDef = {
  name: 'vertical',
  params: 8,
  locals: [
    { type: I32, count: 9 },
    { type: V128, count: 8 },
  ],
  body: [
    [...op.i32Const(HALF), ...v.i32x4Splat, ...op.set(VV.half)],
    [...op.get(V.dst), ...op.set(VL.o)],
    op.loop, // output rows
    [...op.get(V.src), ...op.get(V.start), ...op.get(VL.y), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load],
    [...op.i32Add, ...op.set(VL.first)],
    [...op.get(V.count), ...op.get(VL.y), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load, ...op.set(VL.n)],
    [...op.get(V.w), ...op.get(VL.y), ...op.get(V.ksize4), ...op.i32Mul, ...op.i32Add, ...op.set(VL.kw)],
    [...op.i32Const(0), ...op.set(VL.j)],
    op.loop, // 16-byte columns
    [...op.get(VV.half), ...op.set(VV.a0), ...op.get(VV.half), ...op.set(VV.a1)],
    [...op.get(VV.half), ...op.set(VV.a2), ...op.get(VV.half), ...op.set(VV.a3)],
    [...op.get(VL.first), ...op.get(VL.j), ...op.i32Add, ...op.set(VL.p)],
    [...op.get(VL.kw), ...op.set(VL.k), ...op.get(VL.n), ...op.set(VL.i)],
    op.loop, // taps (count >= 1)
    [...op.get(VL.k), ...op.i32Load, ...v.i32x4Splat, ...op.set(VV.w)],
    [...op.get(VL.p), ...v.load, ...op.tee(VV.px), ...v.i16x8ExtendLowI8x16U, ...op.set(VV.half16)],
    mac(VV.a0, v.i32x4ExtendLowI16x8U),
    mac(VV.a1, v.i32x4ExtendHighI16x8U),
    [...op.get(VV.px), ...v.i16x8ExtendHighI8x16U, ...op.set(VV.half16)],
    mac(VV.a2, v.i32x4ExtendLowI16x8U),
    mac(VV.a3, v.i32x4ExtendHighI16x8U),
    [...op.get(VL.p), ...op.get(V.stride), ...op.i32Add, ...op.set(VL.p)],
    [...op.get(VL.k), ...op.i32Const(4), ...op.i32Add, ...op.set(VL.k)],
    [...op.get(VL.i), ...op.i32Const(1), ...op.i32Sub, ...op.tee(VL.i), ...op.brIf(0)],
    op.end,
    [...op.get(VL.o), ...op.get(VL.j), ...op.i32Add],
    [...shifted(VV.a0), ...shifted(VV.a1), ...v.i16x8NarrowI32x4S, ...shifted(VV.a2), ...shifted(VV.a3), ...v.i16x8NarrowI32x4S],
    [...v.i8x16NarrowI16x8U, ...v.store],
    [...op.get(VL.j), ...op.i32Const(16), ...op.i32Add, ...op.tee(VL.j), ...op.get(V.stride), ...op.i32LtU, ...op.brIf(0)],
    op.end,
    [...op.get(VL.o), ...op.get(V.stride), ...op.i32Add, ...op.set(VL.o)],
    [...op.get(VL.y), ...op.i32Const(1), ...op.i32Add, ...op.tee(VL.y), ...op.get(V.outH), ...op.i32LtU, ...op.brIf(0)],
    op.end,
  ],
};

interface Kernels {
  memory: WebAssembly.Memory;
  horizontal: (...args: number[]) => void;
  vertical: (...args: number[]) => void;
}

let module: WebAssembly.Module | null | undefined;
let kernels: Kernels | undefined;

/** The compiled kernels, or null where the runtime has no WebAssembly SIMD. */
function compiled(): WebAssembly.Module | null {
  if (module === undefined) {
    const bytes = assemble([horizontalFn, verticalFn]);
    module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return module;
}

function instance(bytes: number): Kernels | undefined {
  const mod = compiled();
  if (!mod) return undefined;
  if (!kernels) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const exp = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Omit<Kernels, 'memory'>;
    kernels = { memory, horizontal: exp.horizontal, vertical: exp.vertical };
  }
  const have = kernels.memory.buffer.byteLength;
  if (have < bytes) kernels.memory.grow(Math.ceil((bytes - have) / PAGE));
  return kernels;
}

/** Hands out 16-byte-aligned regions of the wasm memory, each followed by SLACK spare bytes. */
class Layout {
  size = 0;
  take(bytes: number): number {
    const at = this.size;
    this.size = (at + bytes + SLACK + 15) & ~15;
    return at;
  }
}

/**
 * One call of Pillow's ImagingResample (horizontal pass first when the width changes, over only the rows
 * the vertical pass reads; then vertical when the height changes). Undefined without WebAssembly SIMD.
 */
export function resampleWasm(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array | undefined {
  if (!compiled()) return undefined;
  const needH = inW !== outW;
  const needV = inH !== outH;
  const vert = needV ? coefficients(inH, outH) : undefined;
  const horz = needH ? coefficients(inW, outW) : undefined;
  const firstRow = vert ? vert.start[0] : 0;
  const rows = vert ? vert.start[outH - 1] + vert.count[outH - 1] - firstRow : inH;
  const layout = new Layout();
  const srcAt = layout.take(src.byteLength);
  const midAt = horz ? layout.take(outW * rows * 3) : srcAt;
  const dstAt = vert ? layout.take(outW * outH * 3) : midAt;
  const hAt = horz ? [layout.take(outW * 4), layout.take(outW * 4), layout.take(outW * horz.ksize * 16)] : [];
  const vAt = vert ? [layout.take(outH * 4), layout.take(outH * 4), layout.take(outH * vert.ksize * 4)] : [];
  const k = instance(layout.size);
  if (!k) return undefined;
  const buf = k.memory.buffer;
  new Uint8Array(buf, srcAt, src.byteLength).set(src);
  if (horz) {
    checkCounts(horz);
    const start = new Int32Array(buf, hAt[0], outW);
    for (let x = 0; x < outW; x++) start[x] = horz.start[x] * 3;
    new Int32Array(buf, hAt[1], outW).set(horz.count);
    const w = new Int32Array(buf, hAt[2], outW * horz.ksize * 4);
    for (let i = 0; i < horz.weights.length; i++) w.fill(horz.weights[i], i * 4, i * 4 + 4);
    k.horizontal(srcAt + firstRow * inW * 3, midAt, rows, inW * 3, outW, hAt[0], hAt[1], hAt[2], horz.ksize * 16);
  }
  if (vert) {
    checkCounts(vert);
    const stride = outW * 3;
    // With a horizontal pass the intermediate starts at firstRow; without, the source is read from row 0.
    const rowOffset = horz ? firstRow : 0;
    const start = new Int32Array(buf, vAt[0], outH);
    for (let y = 0; y < outH; y++) start[y] = (vert.start[y] - rowOffset) * stride;
    new Int32Array(buf, vAt[1], outH).set(vert.count);
    new Int32Array(buf, vAt[2], outH * vert.ksize).set(vert.weights);
    k.vertical(midAt, dstAt, outH, stride, vAt[0], vAt[1], vAt[2], vert.ksize * 4);
  }
  const out = new Uint8Array(buf, dstAt, outW * outH * 3).slice();
  if (buf.byteLength > KEEP_BYTES) kernels = undefined;
  return out;
}

/** The kernels' tap loops run at least once: every output value has at least one input pixel. */
function checkCounts(c: Coefficients): void {
  for (let i = 0; i < c.count.length; i++) {
    if (c.count[i] < 1) throw new Error(`resample: output index ${i} has no input pixels (${c.count.length} outputs)`);
  }
}
