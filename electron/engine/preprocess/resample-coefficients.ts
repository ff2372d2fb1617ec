// Antialiased bicubic resize of 8-bit RGB, written from the algorithm Pillow uses for Image.resize(size,
// BICUBIC) (and so transformers' PIL-backend processors): a separable convolution, horizontal pass first
// into an 8-bit intermediate, then vertical. When downscaling, the cubic kernel (a = -0.5) is stretched by
// the scale factor, so every output pixel averages all the input pixels it covers (antialiasing). Each
// output pixel's weights are normalised to sum to 1 in double precision, then turned into fixed-point
// integers with 22 fractional bits (rounded half away from zero); a pixel is the integer sum plus half a
// unit, shifted down and clamped to 0..255. With the same integers in the same order the result is
// bit-identical to Pillow's; the sums stay below 2^31, so int32 arithmetic is exact. This file holds the
// weights; resample.ts runs the passes (resample-wasm.ts with SIMD, the JS kernels otherwise).

/** Fractional bits of the fixed-point weights: 32 bits minus 8 for the pixel and 2 of headroom. */
export const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
export const HALF = 1 << (PRECISION_BITS - 1);
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
