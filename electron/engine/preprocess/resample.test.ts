// The fast kernels against the plain ones on random images: the WebAssembly SIMD resize against the JS
// kernels (themselves checked against PIL in preprocess.test.ts and conformance.test.ts), and the one-pass
// patch order against a direct statement of the layout. Sizes cover shrinking and enlarging on each axis,
// odd widths (rows that are not a multiple of 16 bytes or of the 4-row groups), 1-pixel images and the
// very tall images Pillow shrinks vertically first.
import { describe, expect, it } from 'vitest';
import { channelTable, patchify } from './patchify.js';
import { parseProcessorConfig, type ImageProcessorConfig } from './processor-config.js';
import { resizeBicubicRgb } from './resample.js';
import { resampleWasm } from './resample-wasm.js';
import { FAMILY_CONFIGS } from './testing.js';

function randomImage(w: number, h: number, seed: number): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let i = 0; i < px.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Half the images mostly extremes (0/255 runs, where clamping matters), half uniform noise.
    px[i] = seed % 2 === 0 ? s >>> 24 : s >>> 31 ? 255 : (s >>> 20) & 7;
  }
  return px;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('WebAssembly SIMD resize', () => {
  it('runs here (Node 20 and Electron have WebAssembly SIMD)', () => {
    expect(resampleWasm(new Uint8Array(12), 2, 2, 1, 1)).toBeInstanceOf(Uint8Array);
  });

  const cases: [number, number, number, number][] = [
    [1155, 866, 504, 364], // the hf student's shrink of a 1-MP photo
    [1155, 866, 1148, 868], // the paper fetch: nearly the same size, both axes
    [97, 61, 301, 187], // enlarging, odd sizes
    [301, 187, 97, 61],
    [640, 480, 640, 121], // one axis only
    [640, 480, 123, 480],
    [33, 17, 34, 16], // width up, height down
    [1, 1, 28, 28], // 1-pixel images, both ways
    [28, 28, 1, 1],
    [1, 57, 1, 3],
    [57, 1, 5, 1],
    [5, 3, 5, 3], // unchanged: the input itself
    [2, 700, 3, 14], // over 100:1 tall and shrinking: vertical resize first
    [3, 5, 1, 1],
  ];
  for (const [inW, inH, outW, outH] of cases) {
    it(`${inW}x${inH} -> ${outW}x${outH} equals the JS kernels byte for byte`, () => {
      for (const seed of [1, 2]) {
        const src = randomImage(inW, inH, seed);
        const js = resizeBicubicRgb(src, inW, inH, outW, outH, 'js');
        const fast = resizeBicubicRgb(src, inW, inH, outW, outH);
        expect(fast.length).toBe(outW * outH * 3);
        expect(firstDifference(fast, js)).toBe(-1);
      }
    });
  }

  it('equals the JS kernels on 200 random size pairs', () => {
    let s = 7;
    const rand = (n: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return 1 + ((s >>> 8) % n);
    };
    for (let i = 0; i < 200; i++) {
      const [inW, inH, outW, outH] = [rand(90), rand(90), rand(120), rand(120)];
      const src = randomImage(inW, inH, i);
      const at = firstDifference(resizeBicubicRgb(src, inW, inH, outW, outH), resizeBicubicRgb(src, inW, inH, outW, outH, 'js'));
      expect({ inW, inH, outW, outH, at }).toEqual({ inW, inH, outW, outH, at: -1 });
    }
  });
});

/** The layout as patchify.ts's header states it, one value at a time. */
function patchifyReference(rgb: Uint8Array, width: number, height: number, cfg: ImageProcessorConfig): Float32Array {
  const { patchSize: P, mergeSize: M, temporalPatchSize: T } = cfg;
  const luts = [0, 1, 2].map((c) => channelTable(cfg, c));
  const gw = width / P;
  const blocksW = gw / M;
  const cols = 3 * T * P * P;
  const out = new Float32Array((height / P) * gw * cols);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [gy, gx, py, px] = [Math.floor(y / P), Math.floor(x / P), y % P, x % P];
      const [by, mh, bx, mw] = [Math.floor(gy / M), gy % M, Math.floor(gx / M), gx % M];
      const row = ((by * blocksW + bx) * M + mh) * M + mw;
      for (let c = 0; c < 3; c++) {
        for (let t = 0; t < T; t++) out[row * cols + ((c * T + t) * P + py) * P + px] = luts[c][rgb[(y * width + x) * 3 + c]];
      }
    }
  }
  return out;
}

describe('patch order', () => {
  const configs: [string, ImageProcessorConfig][] = [
    ['Qwen2.5-VL (14 px, merge 2, T 2)', FAMILY_CONFIGS.qwen2_5_vl],
    ['Qwen3-VL (16 px)', FAMILY_CONFIGS.qwen3_vl],
    ['merge 1, T 3, no rescale', parseProcessorConfig({ patch_size: 4, merge_size: 1, temporal_patch_size: 3, do_rescale: false })],
  ];
  for (const [label, cfg] of configs) {
    it(`${label}: equals the layout stated value by value`, () => {
      const unit = cfg.patchSize * cfg.mergeSize;
      for (const [bw, bh] of [
        [1, 1],
        [3, 2],
        [2, 5],
      ]) {
        const [w, h] = [bw * unit, bh * unit];
        const rgb = randomImage(w, h, bw + bh);
        const got = patchify(rgb, w, h, cfg);
        const js = patchify(rgb, w, h, cfg, 'js');
        expect(Buffer.from(js.data.buffer).equals(Buffer.from(got.data.buffer))).toBe(true);
        expect(got.gridThw).toEqual([1, h / cfg.patchSize, w / cfg.patchSize]);
        expect(Buffer.from(got.data.buffer).equals(Buffer.from(patchifyReference(rgb, w, h, cfg).buffer))).toBe(true);
      }
    });
  }
});
