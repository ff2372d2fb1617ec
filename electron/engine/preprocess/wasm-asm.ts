// Just enough of a WebAssembly binary writer to build the resize kernels (resample-wasm.ts) at startup:
// no build step, no toolchain, nothing fetched. A module has one imported memory ("env", "memory") and
// functions of i32 parameters with no result, each exported under its name. Opcodes are the spec's
// (core 2.0 and the fixed-width SIMD proposal, which Node 16.4+ and Electron ship enabled).

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an int32. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Core opcodes used by the kernels. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32Load: [0x28, 2, 0],
  i32Load8U: (offset: number) => [0x2d, 0, ...uleb(offset)],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  f32Store: [0x38, 2, 0],
  i32Const: (n: number) => [0x41, ...sleb(n)],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
};

const simd = (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm];

/** SIMD opcodes used by the kernels (memory immediates: alignment 0, offset 0, so any address is valid). */
export const v = {
  load: simd(0x00, 0, 0),
  load8x8U: simd(0x02, 0, 0),
  store: simd(0x0b, 0, 0),
  /** Stores lane 0's two bytes at the address and lane 2's byte two past it: one RGB pixel, nothing more. */
  store16Lane0: simd(0x59, 0, 0, 0),
  store8Lane2At2: simd(0x58, 0, 2, 2),
  i32x4Splat: simd(0x11),
  i8x16NarrowI16x8U: simd(0x66),
  i16x8NarrowI32x4S: simd(0x85),
  i16x8ExtendLowI8x16U: simd(0x89),
  i16x8ExtendHighI8x16U: simd(0x8a),
  i32x4ExtendLowI16x8U: simd(0xa9),
  i32x4ExtendHighI16x8U: simd(0xaa),
  i32x4ShrS: simd(0xac),
  i32x4Add: simd(0xae),
  i32x4Mul: simd(0xb5),
};

export interface FunctionDef {
  name: string;
  params: number;
  /** Extra locals by type, declared after the parameters in this order. */
  locals: { type: number; count: number }[];
  body: number[][];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** The module's bytes: one type per function (all i32 params, no results), memory imported from env. */
export function assemble(fns: FunctionDef[]): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, 1]];
  const funcs = fns.map((_, i) => uleb(i));
  const exports = fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const code = fns.map((f) => {
    const body = [...vec(f.locals.map((l) => [...uleb(l.count), l.type])), ...f.body.flat(), ...op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs)),
    ...section(7, vec(exports)),
    ...section(10, vec(code)),
  ]);
}
