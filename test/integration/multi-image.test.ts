// The multi-image prompt behind self-zoom's ViCrop input (analysis/multi-image.ts) on the ONNX engine:
// with one image it is the ordinary analysis (same prompt, same greedy tokens and probabilities); with the
// full image and a crop, each image keeps its own grid and visual-token count and the self-zoom result says
// which input it used. The PyTorch engine's answer on the same two images is compared in
// pytorch-engine.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../electron/contract/types.js';
import { analyzeImage } from '../../electron/engine/analysis/analyze.js';
import { answerOnImages } from '../../electron/engine/analysis/multi-image.js';
import { runSelfZoom } from '../../electron/engine/analysis/self-zoom.js';
import { cropImage } from '../../electron/engine/image/crop.js';
import { decodeImage, type DecodedImage } from '../../electron/engine/image/decode.js';
import { loadRuntime, type ModelRuntime } from '../../electron/engine/model/runtime.js';
import { ROOT } from './fixtures.js';

const bench = join(ROOT, 'resources/bench/loupe-mini');
const item = (JSON.parse(readFileSync(join(bench, 'test.json'), 'utf8')) as { images: string[]; query: string; bbox: Box }[])[0];

describe.each([
  { name: 'loupe-tiny-r2i', dir: join(ROOT, 'resources/models/loupe-tiny-r2i') },
  { name: 'tiny-qwen3_vl (deepstack)', dir: join(ROOT, 'test/fixtures/models/tiny-qwen3_vl') },
])('multi-image answers on $name', ({ dir }) => {
  let rt: ModelRuntime;
  let image: DecodedImage;
  beforeAll(async () => {
    rt = await loadRuntime(dir, 'cpu');
    image = await decodeImage({ path: join(bench, item.images[0]) });
  }, 120_000);
  afterAll(async () => rt?.dispose());

  it('one image: the ordinary analysis, token for token', async () => {
    const one = await answerOnImages(rt, [image], { question: item.query, maxNewTokens: 6 });
    const ref = await analyzeImage(rt, image, { question: item.query, maxNewTokens: 6, withGeneric: false });
    expect(one.answer).toBe(ref.answer);
    expect(one.tokens).toEqual(ref.tokens);
    expect(one.prompt).toBe(ref.prompt);
    expect(one.geometries[0]).toEqual(ref.geometry);
  }, 120_000);

  it('full image + crop: two images in the prompt, each with its own grid', async () => {
    const { image: crop } = await cropImage(image, item.bbox);
    const two = await answerOnImages(rt, [image, crop], { question: item.query, maxNewTokens: 6 });
    expect(two.prompt.split('<|image_pad|>').length).toBe(3);
    expect(two.geometries.map((g) => [g.imageWidth, g.imageHeight])).toEqual([
      [image.width, image.height],
      [crop.width, crop.height],
    ]);
    expect(two.visualTokens).toEqual(two.geometries.map((g) => g.gridH * g.gridW));
    for (const t of two.tokens) expect(t.prob).toBeGreaterThan(0);
    // Deterministic: the same inputs give the same greedy answer.
    const again = await answerOnImages(rt, [image, crop], { question: item.query, maxNewTokens: 6 });
    expect(again.tokens).toEqual(two.tokens);
  }, 120_000);

  it('self-zoom with input crop+full reports it and places the crop', async () => {
    const base = await analyzeImage(rt, image, { question: item.query, maxNewTokens: 4, box: item.bbox });
    const sz = await runSelfZoom(rt, image, base, { input: 'crop+full' }, { question: item.query, maxNewTokens: 4 });
    expect(sz.input).toBe('crop+full');
    expect(sz.geometry.cropInFull).toEqual(sz.box);
    expect([sz.geometry.imageWidth, sz.geometry.imageHeight]).toEqual([sz.box[2] - sz.box[0], sz.box[3] - sz.box[1]]);
    const { image: crop } = await cropImage(image, sz.box);
    const direct = await answerOnImages(rt, [image, crop], { question: item.query, maxNewTokens: 4 });
    expect(sz.answer).toBe(direct.answer);
    expect(sz.tokens).toEqual(direct.tokens);
    await expect(runSelfZoom(rt, image, base, { input: 'both' as never }, { question: item.query })).rejects.toThrow(
      /selfZoom.input must be/,
    );
  }, 120_000);
});
