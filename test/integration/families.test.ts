// Every model family the engine supports, on the tiny random-weight exports in test/fixtures/models
// (Qwen2.5-VL; Qwen3-VL with deepstack features), against their PyTorch parity files: processor output,
// rope positions, prefill logits and last-row attention, then a full analysis and paper coverage.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, prefillPrompt } from '../../electron/engine/analysis/analyze.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { coveragePaper, headAggregate } from '../../electron/engine/metrics/index.js';
import { DecoderStepper } from '../../electron/engine/model/decoder.js';
import { prepareQuestion } from '../../electron/engine/model/prompt.js';
import { loadRuntime, type ModelRuntime } from '../../electron/engine/model/runtime.js';
import { validateModelDir } from '../../electron/engine/model/validate.js';
import { encodeVision } from '../../electron/engine/model/vision.js';
import { ROOT } from './fixtures.js';

interface FamilyParity {
  family: string;
  question: string;
  image: string;
  image_size: [number, number];
  input_ids: number[];
  image_grid_thw: [number, number, number][];
  pixel_values: { dtype: string; shape: [number, number]; base64: string };
  position_ids: number[][];
  rope_delta: number;
  expected: { last_logits: number[]; argmax: number; last_row_attention: number[][][] };
  coverage: {
    layer_one_based: number;
    grid: [number, number];
    head_mean_visual_attention: number[];
    box: [number, number, number, number];
    paper_coverage: number;
  };
  tolerance: { logits_abs: number; attention_abs: number; pixel_values_abs: number };
}

const FIXTURES = join(ROOT, 'test/fixtures/models');
// Part of the repository: a missing one fails here instead of leaving its family untested.
const dirs = ['tiny-qwen2_5_vl', 'tiny-qwen3_vl'].map((name) => {
  const dir = join(FIXTURES, name);
  for (const file of ['parity.json', 'onnx/decoder_model_merged.onnx']) {
    if (!existsSync(join(dir, file))) throw new Error(`${join(dir, file)} is missing (git checkout -- test/fixtures/models).`);
  }
  return dir;
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('model families', () => {
  for (const dir of dirs) {
    describe(dir.split('/').pop() ?? dir, () => {
      const fx = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as FamilyParity;
      let rt: ModelRuntime;
      beforeAll(async () => {
        rt = await loadRuntime(dir, 'cpu');
      });
      afterAll(async () => {
        await rt?.dispose();
      });

      it('validates cleanly', async () => {
        const { info } = await validateModelDir(dir);
        expect(info.issues).toEqual([]);
        expect(info.family).toBe(fx.family);
      });

      it('processor, rope positions, logits and last-row attention match PyTorch', async () => {
        const image = await decodeImage({ path: join(dir, fx.image) });
        expect([image.width, image.height]).toEqual(fx.image_size);
        const { image: prepared, prompt } = await prepareQuestion(rt, image, fx.question);
        expect(Array.from(prompt.inputIds.data as BigInt64Array, Number)).toEqual(fx.input_ids);
        expect(Array.from(prepared.imageGridThw.data as BigInt64Array, Number)).toEqual(fx.image_grid_thw.flat());
        const ref = new Float32Array(Buffer.from(fx.pixel_values.base64, 'base64').buffer.slice(0));
        expect(prepared.pixelValues.dims).toEqual(fx.pixel_values.shape);
        expect(maxAbsDiff(prepared.pixelValues.data as Float32Array, ref)).toBeLessThan(fx.tolerance.pixel_values_abs);

        const [positions, deltas] = rt.model.get_rope_index(prompt.inputIds, prepared.imageGridThw, null, prompt.attentionMask);
        expect(Array.from(positions.data as BigInt64Array, Number)).toEqual(fx.position_ids.flat());
        expect(Number((deltas.data as BigInt64Array)[0])).toBe(fx.rope_delta);

        const step = await prefillPrompt(rt, new DecoderStepper(rt), prepared, await encodeVision(rt, prepared), prompt);
        expect(maxAbsDiff(step.logits, fx.expected.last_logits)).toBeLessThan(fx.tolerance.logits_abs);
        fx.expected.last_row_attention.forEach((layer, l) =>
          expect(maxAbsDiff(step.taps[l], layer.flat())).toBeLessThan(fx.tolerance.attention_abs),
        );
      });

      it('a full analysis gives the same grid, head-mean map and paper coverage', async () => {
        const image = await decodeImage({ path: join(dir, fx.image) });
        const r = await analyzeImage(rt, image, { question: fx.question, box: fx.coverage.box, maxNewTokens: 3 });
        expect([r.geometry.gridH, r.geometry.gridW]).toEqual(fx.coverage.grid);
        expect(r.tokens[0]?.id ?? fx.expected.argmax).toBe(fx.expected.argmax);
        const map = headAggregate(r.attention, fx.coverage.layer_one_based, 'mean', 0);
        expect(maxAbsDiff(map, fx.coverage.head_mean_visual_attention)).toBeLessThan(fx.tolerance.attention_abs);
        expect(coveragePaper(map, r.geometry, fx.coverage.box)).toBeCloseTo(fx.coverage.paper_coverage, 5);
        expect(r.attention.numQueries).toBe(1 + r.tokens.length);
      });
    });
  }
});
