// Pillow's Image.resize(size, BICUBIC) on 8-bit RGB (resample-coefficients.ts states the arithmetic):
// which passes run, over which rows, in which order. The passes run in WebAssembly with SIMD
// (resample-wasm.ts) when the runtime has it, which every supported Node and Electron does; the JS kernels
// here are the fallback and the reference the WebAssembly kernels are tested against (resample.test.ts).
import { coefficients, HALF, PRECISION_BITS, type Coefficients } from './resample-coefficients.js';
import { resampleWasm } from './resample-wasm.js';

export type ResampleEngine = 'auto' | 'js';

/** Resizes interleaved RGB (3 bytes per pixel) to outW x outH; returns the input itself when sizes agree. */
export function resizeBicubicRgb(
  src: Uint8Array,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  engine: ResampleEngine = 'auto',
): Uint8Array {
  if (inW === outW && inH === outH) return src;
  const resample = engine === 'js' ? resampleJs : resampleAuto;
  // Pillow's Image.resize shrinks images over 100 times taller than wide vertically first, as a resize of
  // its own (an 8-bit intermediate of the original width), then horizontally.
  if (inH > inW * 100 && outH < inH) return resample(resample(src, inW, inH, inW, outH), inW, outH, outW, outH);
  return resample(src, inW, inH, outW, outH);
}

function resampleAuto(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array {
  return resampleWasm(src, inW, inH, outW, outH) ?? resampleJs(src, inW, inH, outW, outH);
}

/** One call of Pillow's ImagingResample: horizontal pass first (when needed), then vertical. */
function resampleJs(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array {
  if (inW === outW && inH === outH) return src;
  const needH = inW !== outW;
  const needV = inH !== outH;
  const vert = coefficients(inH, outH);
  // Only the rows the vertical pass reads go through the horizontal one.
  const firstRow = needV ? vert.start[0] : 0;
  const lastRow = needV ? vert.start[outH - 1] + vert.count[outH - 1] : inH;
  let mid = src;
  let rowOffset = 0;
  if (needH) {
    rowOffset = firstRow;
    mid = horizontal(src, inW, firstRow, lastRow - firstRow, outW, coefficients(inW, outW));
  }
  if (!needV) return mid;
  return vertical(mid, outW, rowOffset, outH, vert);
}

// The kernels below keep every value an int32: Math.imul for the products (a byte times a weight under
// 2^23 fits) and `| 0` after each add, so V8 never falls back to doubles; one output value's sum stays in
// a register (no accumulator array), and clamping is inline.

function horizontal(src: Uint8Array, inW: number, firstRow: number, rows: number, outW: number, c: Coefficients): Uint8Array {
  const out = new Uint8Array(outW * rows * 3);
  const { ksize, start, count, weights } = c;
  const rowBytes = inW * 3;
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + firstRow) * rowBytes;
    for (let x = 0; x < outW; x++) {
      const n = count[x];
      let p = rowIn + start[x] * 3;
      let k = x * ksize;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0; i < n; i++, p += 3, k++) {
        const w = weights[k];
        r = (r + Math.imul(src[p], w)) | 0;
        g = (g + Math.imul(src[p + 1], w)) | 0;
        b = (b + Math.imul(src[p + 2], w)) | 0;
      }
      r >>= PRECISION_BITS;
      g >>= PRECISION_BITS;
      b >>= PRECISION_BITS;
      out[o++] = r < 0 ? 0 : r > 255 ? 255 : r;
      out[o++] = g < 0 ? 0 : g > 255 ? 255 : g;
      out[o++] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
  }
  return out;
}

function vertical(src: Uint8Array, width: number, rowOffset: number, outH: number, c: Coefficients): Uint8Array {
  const stride = width * 3;
  const out = new Uint8Array(stride * outH);
  const { ksize, start, count, weights } = c;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const k0 = y * ksize;
    const n = count[y];
    const first = (start[y] - rowOffset) * stride;
    // Column by column, the taps down the column: the `n` rows read stay in L1 across the whole row.
    for (let j = 0; j < stride; j++) {
      let s = HALF;
      let p = first + j;
      for (let i = 0; i < n; i++, p += stride) s = (s + Math.imul(src[p], weights[k0 + i])) | 0;
      s >>= PRECISION_BITS;
      out[o++] = s < 0 ? 0 : s > 255 ? 255 : s;
    }
  }
  return out;
}
