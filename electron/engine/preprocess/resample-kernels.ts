// Pillow's two resize passes (resample-coefficients.ts) as WebAssembly SIMD function bodies for wasm-asm.ts.
// Same integers as the JS kernels, summed exactly in int32 lanes (the order of additions cannot change an
// exact integer sum), and the clamp to 0..255 done by the saturating narrows (i32 -> i16 signed, i16 -> u8
// unsigned), so the bytes equal the JS kernels' (resample.test.ts) and Pillow's (conformance suite).
//   horizontalN: N rows at a time; one output pixel's R, G, B (and a discarded fourth lane) per i32x4;
//     each tap adds the source pixel's bytes, widened, times the tap's weight (stored splatted).
//   vertical: sixteen bytes of an output row at once (four i32x4 accumulators); each tap adds a source
//     row's sixteen bytes times the tap's weight.
// Kernels read up to 15 bytes past a buffer and write up to 15 past a row (a later row overwrites them);
// wasm-kernels.ts leaves spare bytes after every buffer.
import { HALF, PRECISION_BITS } from './resample-coefficients.js';
import { I32, op, V128, v, type FunctionDef } from './wasm-asm.js';

// horizontalN(src, dst, groups, inRowBytes, outW, startPtr, countPtr, weightPtr, ksize16, outRowBytes):
// N rows at a time, so each tap's offset and weight are loaded once for N pixels.
export function horizontalFn(rowsPerGroup: number): FunctionDef {
  const N = rowsPerGroup;
  const P = { src: 0, dst: 1, groups: 2, inRow: 3, outW: 4, start: 5, count: 6, w: 7, ksize16: 8, outRow: 9 };
  const L = { y: 10, x: 11, p: 12, n: 13, k: 14, o: 15, rowIn: 16, inOff: 17, outOff: 17 + N };
  const vBase = 17 + 2 * N;
  const VL = { half: vBase, w: vBase + 1, acc: vBase + 2 };
  const rows = Array.from({ length: N }, (_, r) => r);
  // Address of row r's byte: base + r * rowBytes, from the offsets set up front (row 0 has none).
  const rowAddr = (base: number, off: number, r: number) => (r === 0 ? op.get(base) : [...op.get(base), ...op.get(off + r), ...op.i32Add]);
  return {
    name: `horizontal${N}`,
    params: 10,
    locals: [
      { type: I32, count: 7 + 2 * N },
      { type: V128, count: 2 + N },
    ],
    body: [
      [...op.i32Const(HALF), ...v.i32x4Splat, ...op.set(VL.half)],
      ...rows.map((r) => [...op.get(P.inRow), ...op.i32Const(r), ...op.i32Mul, ...op.set(L.inOff + r)]),
      ...rows.map((r) => [...op.get(P.outRow), ...op.i32Const(r), ...op.i32Mul, ...op.set(L.outOff + r)]),
      [...op.get(P.dst), ...op.set(L.o), ...op.get(P.src), ...op.set(L.rowIn)],
      op.loop, // row groups
      [...op.i32Const(0), ...op.set(L.x)],
      op.loop, // output pixels
      [...op.get(L.rowIn), ...op.get(P.start), ...op.get(L.x), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load],
      [...op.i32Add, ...op.set(L.p)],
      [...op.get(P.count), ...op.get(L.x), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load, ...op.set(L.n)],
      [...op.get(P.w), ...op.get(L.x), ...op.get(P.ksize16), ...op.i32Mul, ...op.i32Add, ...op.set(L.k)],
      ...rows.map((r) => [...op.get(VL.half), ...op.set(VL.acc + r)]),
      op.loop, // taps (count >= 1)
      [...op.get(L.k), ...v.load, ...op.set(VL.w)],
      ...rows.map((r) => [
        ...op.get(VL.acc + r),
        ...rowAddr(L.p, L.inOff, r),
        ...v.load8x8U,
        ...v.i32x4ExtendLowI16x8U,
        ...op.get(VL.w),
        ...v.i32x4Mul,
        ...v.i32x4Add,
        ...op.set(VL.acc + r),
      ]),
      [...op.get(L.p), ...op.i32Const(3), ...op.i32Add, ...op.set(L.p)],
      [...op.get(L.k), ...op.i32Const(16), ...op.i32Add, ...op.set(L.k)],
      [...op.get(L.n), ...op.i32Const(1), ...op.i32Sub, ...op.tee(L.n), ...op.brIf(0)],
      op.end,
      ...rows.map((r) => [
        ...op.get(VL.acc + r),
        ...op.i32Const(PRECISION_BITS),
        ...v.i32x4ShrS,
        ...op.tee(VL.acc + r),
        ...op.get(VL.acc + r),
        ...v.i16x8NarrowI32x4S,
        ...op.tee(VL.acc + r),
        ...op.get(VL.acc + r),
        ...v.i8x16NarrowI16x8U,
        ...op.set(VL.acc + r),
        // Exactly three bytes: a fourth would overwrite the next row's first pixel, already stored.
        ...rowAddr(L.o, L.outOff, r),
        ...op.get(VL.acc + r),
        ...v.store16Lane0,
        ...rowAddr(L.o, L.outOff, r),
        ...op.get(VL.acc + r),
        ...v.store8Lane2At2,
      ]),
      [...op.get(L.o), ...op.i32Const(3), ...op.i32Add, ...op.set(L.o)],
      [...op.get(L.x), ...op.i32Const(1), ...op.i32Add, ...op.tee(L.x), ...op.get(P.outW), ...op.i32LtU, ...op.brIf(0)],
      op.end,
      // Next group: the input N rows down, the output from the end of this group's first row to N rows down.
      [...op.get(L.rowIn), ...op.get(P.inRow), ...op.i32Const(N), ...op.i32Mul, ...op.i32Add, ...op.set(L.rowIn)],
      [...op.get(L.o), ...op.get(P.outRow), ...op.i32Const(N - 1), ...op.i32Mul, ...op.i32Add, ...op.set(L.o)],
      [...op.get(L.y), ...op.i32Const(1), ...op.i32Add, ...op.tee(L.y), ...op.get(P.groups), ...op.i32LtU, ...op.brIf(0)],
      op.end,
    ],
  };
}
/** Rows per group of the wide horizontal kernel; the rest of the rows go through the one-row kernel. */
export const GROUP = 4;
/** Source rows per strip of the horizontal pass (a multiple of GROUP; 64 rows of 8K RGB are 1.5 MB). */
export const STRIP_ROWS = 64;

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
export const verticalFn: FunctionDef = {
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
