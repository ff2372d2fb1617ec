// Antialiased bicubic resize of 8-bit RGB, written from the algorithm Pillow uses for Image.resize(size,
// BICUBIC) (and so transformers' PIL-backend processors): a separable convolution, horizontal pass first
// into an 8-bit intermediate, then vertical. When downscaling, the cubic kernel (a = -0.5) is stretched by
// the scale factor, so every output pixel averages all the input pixels it covers (antialiasing). Each
// output pixel's weights are normalised to sum to 1 in double precision, then turned into fixed-point
// integers with 22 fractional bits (rounded half away from zero); a pixel is the integer sum plus half a
// unit, shifted down and clamped to 0..255. With the same integers in the same order the result is
// bit-identical to Pillow's; the sums stay below 2^31, so int32 arithmetic is exact.

/** Fractional bits of the fixed-point weights: 32 bits minus 8 for the pixel and 2 of headroom. */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const SUPPORT = 2; // the cubic kernel is non-zero on (-2, 2)

function cubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output index: first input index, tap count, and `ksize` fixed-point weights (zero-padded). */
export interface Coefficients {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

export function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const inv = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // Truncation toward zero, as a C (int) cast does; negative values are clamped to 0 right after.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = cubic((x + xmin - center + 0.5) * inv);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      // Half away from zero, then truncation: C's (int)(w * 2^22 +- 0.5).
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resizes interleaved RGB (3 bytes per pixel) to outW x outH; returns the input itself when sizes agree. */
export function resizeBicubicRgb(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array {
  if (inW === outW && inH === outH) return src;
  // Pillow's Image.resize shrinks images over 100 times taller than wide vertically first, as a resize of
  // its own (an 8-bit intermediate of the original width), then horizontally.
  if (inH > inW * 100 && outH < inH) return resample(resample(src, inW, inH, inW, outH), inW, outH, outW, outH);
  return resample(src, inW, inH, outW, outH);
}

/** One call of Pillow's ImagingResample: horizontal pass first (when needed), then vertical. */
function resample(src: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array {
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

function horizontal(src: Uint8Array, inW: number, firstRow: number, rows: number, outW: number, c: Coefficients): Uint8Array {
  const out = new Uint8Array(outW * rows * 3);
  const { ksize, start, count, weights } = c;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + firstRow) * inW * 3;
    const rowOut = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const k0 = x * ksize;
      const n = count[x];
      let p = rowIn + start[x] * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0; i < n; i++, p += 3) {
        const w = weights[k0 + i];
        r = (r + src[p] * w) | 0;
        g = (g + src[p + 1] * w) | 0;
        b = (b + src[p + 2] * w) | 0;
      }
      const o = rowOut + x * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

function vertical(src: Uint8Array, width: number, rowOffset: number, outH: number, c: Coefficients): Uint8Array {
  const stride = width * 3;
  const out = new Uint8Array(stride * outH);
  const { ksize, start, count, weights } = c;
  const acc = new Int32Array(stride);
  for (let y = 0; y < outH; y++) {
    acc.fill(HALF);
    const k0 = y * ksize;
    const first = start[y] - rowOffset;
    // Row by row over the taps: contiguous reads, one multiply-add per byte.
    for (let i = 0; i < count[y]; i++) {
      const w = weights[k0 + i];
      const row = (first + i) * stride;
      for (let j = 0; j < stride; j++) acc[j] = (acc[j] + src[row + j] * w) | 0;
    }
    const o = y * stride;
    for (let j = 0; j < stride; j++) out[o + j] = clip8(acc[j]);
  }
  return out;
}
