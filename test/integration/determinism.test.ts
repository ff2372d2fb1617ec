// Determinism: the same image and question give bit-identical answers, probabilities and attention maps,
// within one loaded model and across two separate loads (greedy decoding, ties to the lower id, CPU).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../electron/contract/types.js';
import { analyzeDualImages } from '../../electron/engine/analysis/dual.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { loadRuntime } from '../../electron/engine/model/runtime.js';
import { ROOT, findModelDir } from './fixtures.js';

const modelDir = findModelDir();

function same(a: AnalysisResult, b: AnalysisResult): void {
  expect(b.answer).toBe(a.answer);
  expect(b.tokens).toEqual(a.tokens);
  expect(b.geometry).toEqual(a.geometry);
  expect(Buffer.from(b.attention.data.buffer).equals(Buffer.from(a.attention.data.buffer))).toBe(true);
  expect(Buffer.from(b.genericAttention!.data.buffer).equals(Buffer.from(a.genericAttention!.data.buffer))).toBe(true);
}

describe('determinism', () => {
  it('two runs, and two loads, give identical dual-view results', async () => {
    const bench = join(ROOT, 'resources/bench/loupe-mini');
    const items = JSON.parse(readFileSync(join(bench, 'test.json'), 'utf8')) as {
      images: string[];
      query: string;
      bbox: [number, number, number, number];
    }[];
    const it0 = items[1];
    const image = await decodeImage({ path: join(bench, it0.images[0]) });
    const req = { question: it0.query, box: it0.bbox, maxNewTokens: 6 };
    const rt1 = await loadRuntime(modelDir, 'cpu');
    const a = await analyzeDualImages(rt1, image, req, null);
    const b = await analyzeDualImages(rt1, image, req, null);
    await rt1.dispose();
    const rt2 = await loadRuntime(modelDir, 'cpu');
    const c = await analyzeDualImages(rt2, image, req, null);
    await rt2.dispose();
    for (const other of [b, c]) {
      same(a.global, other.global);
      same(a.regional, other.regional);
      expect(Buffer.from(other.regionalInFull.data.buffer).equals(Buffer.from(a.regionalInFull.data.buffer))).toBe(true);
    }
  });
});
