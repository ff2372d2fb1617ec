// Rescale, normalise and patch order, as transformers' Qwen2-VL processor does them: u8 * rescale_factor in
// double rounded to float32, then (x - mean) / std in float32 (one lookup table per channel, 256 entries,
// since the result depends only on the byte), then the flat patch layout the vision encoder takes:
// row = ((block_h * blocks_w + block_w) * merge + mh) * merge + mw, column = ((c * T + t) * P + py) * P + px,
// each image repeated over the T temporal slots. The WebAssembly kernels (patchify-wasm.ts) do it where the
// runtime has them; the JS loop below is the fallback and the reference resample.test.ts checks them with.
import { patchOrderWasm } from './patchify-wasm.js';
import type { ImageProcessorConfig } from './processor-config.js';

export interface PatchedPixels {
  /** [gridH * gridW, 3 * T * P * P] float32, row-major. */
  data: Float32Array;
  dims: [number, number];
  /** image_grid_thw: [1, gridH, gridW] in patches. */
  gridThw: [number, number, number];
}

/** What rescale + normalise make of each byte value in channel c. */
export function channelTable(cfg: ImageProcessorConfig, c: number): Float32Array {
  const lut = new Float32Array(256);
  const mean = Math.fround(cfg.imageMean[c]);
  const std = Math.fround(cfg.imageStd[c]);
  for (let u = 0; u < 256; u++) {
    let x = cfg.doRescale ? Math.fround(u * cfg.rescaleFactor) : u;
    if (cfg.doNormalize) x = Math.fround(Math.fround(x - mean) / std);
    lut[u] = x;
  }
  return lut;
}

export function patchify(
  rgb: Uint8Array,
  width: number,
  height: number,
  cfg: ImageProcessorConfig,
  engine: 'auto' | 'js' = 'auto',
): PatchedPixels {
  const P = cfg.patchSize;
  const M = cfg.mergeSize;
  const T = cfg.temporalPatchSize;
  const gh = height / P;
  const gw = width / P;
  if (!Number.isInteger(gh / M) || !Number.isInteger(gw / M)) {
    throw new Error(`patchify: ${width}x${height} is not a multiple of patch ${P} x merge ${M}`);
  }
  // One table for the three channels (value + 256 * channel), so the loop below has no per-channel arrays.
  const lut = new Float32Array(768);
  for (let c = 0; c < 3; c++) lut.set(channelTable(cfg, c), c * 256);
  const PP = P * P;
  const TPP = T * PP;
  const cols = 3 * TPP;
  const data = new Float32Array(gh * gw * cols);
  const result: PatchedPixels = { data, dims: [gh * gw, cols], gridThw: [1, gh, gw] };
  if (engine === 'auto' && patchOrderWasm(rgb, width, height, { P, M, T }, lut, data)) return result;
  const bw = gw / M;
  let row = 0;
  for (let by = 0; by < gh / M; by++) {
    for (let bx = 0; bx < bw; bx++) {
      for (let mh = 0; mh < M; mh++) {
        for (let mw = 0; mw < M; mw++, row++) {
          const y0 = (by * M + mh) * P;
          const x0 = (bx * M + mw) * P;
          const base = row * cols;
          for (let py = 0; py < P; py++) {
            let src = ((y0 + py) * width + x0) * 3;
            // Every temporal slot holds the same image: each value is written T times here, in one pass.
            for (let d = base + py * P, end = d + P; d < end; d++, src += 3) {
              const r = lut[rgb[src]];
              const g = lut[256 + rgb[src + 1]];
              const b = lut[512 + rgb[src + 2]];
              for (let t = d; t < d + TPP; t += PP) {
                data[t] = r;
                data[t + TPP] = g;
                data[t + 2 * TPP] = b;
              }
            }
          }
        }
      }
    }
  }
  return result;
}
