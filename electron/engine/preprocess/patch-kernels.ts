// The patch order (patchify.ts) as WebAssembly function bodies for wasm-asm.ts, run on one row of merge
// blocks at a time (patchify-wasm.ts):
//   planes(src, dst, lut, n): n interleaved RGB bytes through the float32 table (lut[256 * c + byte]) into
//     three planes, R at dst, G at dst + 4n, B at dst + 8n: the processor's rescale + normalise, exactly.
//   patchOrder(planes, out, table, runs, runBytes, vecs): the output in order, one run of P floats (one
//     patch row of one channel, one temporal slot) after another, each copied from the byte offset into
//     the planes that table gives, 16 bytes at a time; the last copy of a run may spill up to 12 bytes
//     into the next run, which is written right after.
import { I32, op, v, type FunctionDef } from './wasm-asm.js';

const PL = { src: 0, dst: 1, lut: 2, n: 3, p: 4, o: 5, i: 6, n4: 7, n8: 8 };
const channel = (to: number[], byte: number) => [
  ...to,
  ...op.get(PL.lut),
  ...op.get(PL.p),
  ...op.i32Load8U(byte),
  ...op.i32Const(2),
  ...op.i32Shl,
  ...op.i32Add,
  ...op.f32Load(byte * 1024),
  ...op.f32Store,
];
export const planesFn: FunctionDef = {
  name: 'planes',
  params: 4,
  locals: [{ type: I32, count: 5 }],
  body: [
    [...op.get(PL.n), ...op.i32Const(2), ...op.i32Shl, ...op.set(PL.n4)],
    [...op.get(PL.n), ...op.i32Const(3), ...op.i32Shl, ...op.set(PL.n8)],
    [...op.get(PL.src), ...op.set(PL.p), ...op.get(PL.dst), ...op.set(PL.o), ...op.get(PL.n), ...op.set(PL.i)],
    op.loop, // pixels (n >= 1)
    channel(op.get(PL.o), 0),
    channel([...op.get(PL.o), ...op.get(PL.n4), ...op.i32Add], 1),
    channel([...op.get(PL.o), ...op.get(PL.n8), ...op.i32Add], 2),
    [...op.get(PL.p), ...op.i32Const(3), ...op.i32Add, ...op.set(PL.p)],
    [...op.get(PL.o), ...op.i32Const(4), ...op.i32Add, ...op.set(PL.o)],
    [...op.get(PL.i), ...op.i32Const(1), ...op.i32Sub, ...op.tee(PL.i), ...op.brIf(0)],
    op.end,
  ],
};

const PO = { planes: 0, out: 1, table: 2, runs: 3, runBytes: 4, vecs: 5, o: 6, r: 7, i: 8, s: 9, d: 10, q: 11 };
export const patchOrderFn: FunctionDef = {
  name: 'patchOrder',
  params: 6,
  locals: [{ type: I32, count: 6 }],
  body: [
    [...op.get(PO.out), ...op.set(PO.o), ...op.get(PO.table), ...op.set(PO.r), ...op.get(PO.runs), ...op.set(PO.i)],
    op.loop, // runs (>= 1)
    [...op.get(PO.planes), ...op.get(PO.r), ...op.i32Load, ...op.i32Add, ...op.set(PO.s)],
    [...op.get(PO.o), ...op.set(PO.d), ...op.get(PO.vecs), ...op.set(PO.q)],
    op.loop, // 16-byte copies (>= 1)
    [...op.get(PO.d), ...op.get(PO.s), ...v.load, ...v.store],
    [...op.get(PO.s), ...op.i32Const(16), ...op.i32Add, ...op.set(PO.s)],
    [...op.get(PO.d), ...op.i32Const(16), ...op.i32Add, ...op.set(PO.d)],
    [...op.get(PO.q), ...op.i32Const(1), ...op.i32Sub, ...op.tee(PO.q), ...op.brIf(0)],
    op.end,
    [...op.get(PO.o), ...op.get(PO.runBytes), ...op.i32Add, ...op.set(PO.o)],
    [...op.get(PO.r), ...op.i32Const(4), ...op.i32Add, ...op.set(PO.r)],
    [...op.get(PO.i), ...op.i32Const(1), ...op.i32Sub, ...op.tee(PO.i), ...op.brIf(0)],
    op.end,
  ],
};
