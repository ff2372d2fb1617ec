// Geometry from the real transformers.js Qwen2VLImageProcessor (its smart_resize) on awkward sizes:
// non-square, not multiples of 28, tiny (upscaled to min_pixels), large (downscaled to max_pixels), and
// EXIF-rotated input (the processor must see oriented pixels).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoImageProcessor } from '@huggingface/transformers';
import { decodeImage } from '../image/decode.js';
import { cellRect, geometryFromProcessor } from './geometry.js';
import { RawImage, configureTransformers, type QwenImageProcessor } from './transformers.js';

const MIN = 224 * 224;
const MAX = 448 * 448;

/** Independent smart_resize (Qwen2-VL), with JavaScript's Math.round as transformers.js uses. Returns [h, w]. */
function refSmartResize(h: number, w: number, f = 28): [number, number] {
  if (h < f || w < f) {
    const s = Math.max(f / h, f / w);
    h = Math.round(h * s);
    w = Math.round(w * s);
  }
  let hb = Math.round(h / f) * f;
  let wb = Math.round(w / f) * f;
  if (hb * wb > MAX) {
    const beta = Math.sqrt((h * w) / MAX);
    hb = Math.max(f, Math.floor(h / beta / f) * f);
    wb = Math.max(f, Math.floor(w / beta / f) * f);
  } else if (hb * wb < MIN) {
    const beta = Math.sqrt(MIN / (h * w));
    hb = Math.ceil((h * beta) / f) * f;
    wb = Math.ceil((w * beta) / f) * f;
  }
  return [hb, wb];
}

let proc: QwenImageProcessor;

beforeAll(async () => {
  configureTransformers();
  const dir = mkdtempSync(join(tmpdir(), 'loupe-geom-'));
  writeFileSync(
    join(dir, 'preprocessor_config.json'),
    JSON.stringify({
      image_processor_type: 'Qwen2VLImageProcessor',
      do_convert_rgb: true,
      do_resize: true,
      resample: 3,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_std: [0.26862954, 0.26130258, 0.27577711],
      min_pixels: MIN,
      max_pixels: MAX,
      patch_size: 14,
      merge_size: 2,
      temporal_patch_size: 2,
    }),
  );
  proc = (await AutoImageProcessor.from_pretrained(dir, { local_files_only: true })) as unknown as QwenImageProcessor;
});

async function geometryOf(width: number, height: number) {
  const img = new RawImage(new Uint8Array(width * height * 3).fill(128), width, height, 3);
  const out = await proc(img);
  const thw = Array.from(out.image_grid_thw.data as BigInt64Array, Number) as [number, number, number];
  return geometryFromProcessor({
    imageWidth: width,
    imageHeight: height,
    resized: out.reshaped_input_sizes[0],
    gridThw: thw,
    patchSize: 14,
    mergeSize: 2,
  });
}

describe('geometry from the transformers.js processor', () => {
  const sizes: [number, number][] = [
    [500, 333],
    [333, 500],
    [448, 420],
    [1000, 37],
    [20, 20],
    [1920, 1080],
    [301, 299],
    [4000, 3000],
  ];
  for (const [w, h] of sizes) {
    it(`${w}x${h}: grid = smart_resize / 28, cells tile the original image`, async () => {
      const g = await geometryOf(w, h);
      const [rh, rw] = refSmartResize(h, w);
      expect([g.resizedHeight, g.resizedWidth]).toEqual([rh, rw]);
      expect(g.gridH * g.tokenPx).toBe(g.resizedHeight);
      expect(g.gridW * g.tokenPx).toBe(g.resizedWidth);
      expect(g.resizedHeight % 28).toBe(0);
      expect(g.resizedWidth % 28).toBe(0);
      expect([g.imageWidth, g.imageHeight]).toEqual([w, h]);
      expect(cellRect(g, 0, 0)).toEqual([0, 0, w / g.gridW, h / g.gridH]);
      const last = cellRect(g, g.gridH - 1, g.gridW - 1);
      expect(last[2]).toBeCloseTo(w, 9);
      expect(last[3]).toBeCloseTo(h, 9);
    });
  }

  it('a non-square image keeps its aspect in the grid', async () => {
    const g = await geometryOf(900, 300);
    expect(g.gridW).toBeGreaterThan(2.5 * g.gridH);
  });

  it('EXIF orientation is applied before the processor, and sizes are the oriented ones', async () => {
    // 60 wide x 40 tall stored, orientation 6 (rotate 90° clockwise to display): shown 40 wide x 60 tall.
    const stored = await sharp({ create: { width: 60, height: 40, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .composite([{ input: { create: { width: 10, height: 40, channels: 3, background: { r: 0, g: 0, b: 255 } } }, left: 0, top: 0 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage({ name: 'rotated.jpg', bytes: stored });
    expect([img.width, img.height, img.orientation]).toEqual([40, 60, 6]);
    // The blue strip was the stored left edge; after a clockwise turn it is the top edge.
    const px = (x: number, y: number) => Array.from(img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    expect(px(20, 2)[2]).toBeGreaterThan(200);
    expect(px(20, 50)[0]).toBeGreaterThan(200);
    const out = await proc(new RawImage(img.rgb, img.width, img.height, 3));
    expect(out.original_sizes[0]).toEqual([60, 40]);
  });
});
