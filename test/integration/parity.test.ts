// ONNX parity against the Python fixture (written by native-models with PyTorch): same image and question
// must give the same input ids and pixel values through transformers.js, and the ONNX sessions driven by
// the engine must reproduce PyTorch's prefill logits and last-token attention within the fixture's
// tolerance (1e-4), and the same greedy answer.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, prefillPrompt } from '../../electron/engine/analysis/analyze.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { DecoderStepper } from '../../electron/engine/model/decoder.js';
import { prepareQuestion } from '../../electron/engine/model/prompt.js';
import { encodeVision } from '../../electron/engine/model/vision.js';
import { loadRuntime, type ModelRuntime } from '../../electron/engine/model/runtime.js';
import { findParityFixtures } from './fixtures.js';

const fixtures = findParityFixtures();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ONNX parity with the Python fixture', () => {
  for (const fx of fixtures) {
    describe(`${fx.modelDir}`, () => {
      let rt: ModelRuntime;
      beforeAll(async () => {
        rt = await loadRuntime(fx.modelDir, 'cpu');
      });
      afterAll(async () => {
        await rt?.dispose();
      });

      for (const item of fx.items) {
        it(`${item.name}: processor output equals the fixture's input ids and pixel values`, async () => {
          const image = await decodeImage({ path: join(fx.dir, item.image) });
          expect([image.width, image.height]).toEqual([item.width, item.height]);
          const { image: prepared, prompt } = await prepareQuestion(rt, image, item.question);
          expect(Array.from(prompt.inputIds.data as BigInt64Array, Number)).toEqual(item.input_ids);
          expect(Array.from(prepared.imageGridThw.data as BigInt64Array, Number)).toEqual(item.grid_thw);
          const pv = prepared.pixelValues.data as Float32Array;
          expect(prepared.pixelValues.dims).toEqual(item.pixel_values.shape);
          expect(maxAbsDiff(pv.subarray(0, item.pixel_values.first.length), item.pixel_values.first)).toBeLessThan(1e-5);
          let sum = 0;
          let abs = 0;
          for (const v of pv) {
            sum += v;
            abs += Math.abs(v);
          }
          // Float32 accumulation order differs from numpy's pairwise sum: compare relatively.
          expect(Math.abs(sum - item.pixel_values.sum) / Math.abs(item.pixel_values.sum)).toBeLessThan(1e-5);
          expect(Math.abs(abs - item.pixel_values.abs_sum) / item.pixel_values.abs_sum).toBeLessThan(1e-5);
        });

        it(`${item.name}: prefill logits and last-token attention match within ${fx.tolerance}`, async () => {
          const image = await decodeImage({ path: join(fx.dir, item.image) });
          const { image: prepared, prompt } = await prepareQuestion(rt, image, item.question);
          const [positionIds] = rt.model.get_rope_index(prompt.inputIds, prepared.imageGridThw, null, prompt.attentionMask);
          let maxPos = 0;
          for (const p of positionIds.data as BigInt64Array) maxPos = Math.max(maxPos, Number(p));
          expect(maxPos).toBe(item.position_ids_max);
          const features = await encodeVision(rt, prepared);
          const step = await prefillPrompt(rt, new DecoderStepper(rt), prepared, features, prompt);
          expect(maxAbsDiff(step.logits, item.prefill_logits)).toBeLessThan(fx.tolerance);
          expect(step.taps.length).toBe(item.prefill_attention.length);
          item.prefill_attention.forEach((layer, l) => {
            expect(maxAbsDiff(step.taps[l], layer.flat())).toBeLessThan(fx.tolerance);
          });
        });

        it(`${item.name}: greedy answer and visual-token attention match`, async () => {
          const image = await decodeImage({ path: join(fx.dir, item.image) });
          const r = await analyzeImage(rt, image, { question: item.question, maxNewTokens: item.answer_ids.length, withGeneric: false });
          expect(r.tokens.map((t) => t.id)).toEqual(item.answer_ids.filter((id) => !rt.spec.eosTokenIds.includes(id)));
          // Query 0 restricted to the visual span equals the fixture's row between vision start and end.
          const start = item.input_ids.indexOf(rt.spec.visionStartTokenId) + 1;
          const cells = r.geometry.gridH * r.geometry.gridW;
          const { numLayers, numHeads } = r.attention;
          for (let l = 0; l < numLayers; l++) {
            for (let h = 0; h < numHeads; h++) {
              const got = r.attention.data.subarray((l * numHeads + h) * cells, (l * numHeads + h + 1) * cells);
              expect(maxAbsDiff(got, item.prefill_attention[l][h].slice(start, start + cells))).toBeLessThan(fx.tolerance);
            }
          }
        });
      }
    });
  }
});
