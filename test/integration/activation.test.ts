// Activation maps on a copy of the bundled R2I student given the hidden-states output by
// `loupe tap --hidden-states`: the edit changes no answer, probability or attention; each token's map is
// relu(h_v . u_token) with u_token the embedding row (tied), checked against a direct onnxruntime run of
// embed_tokens; the context correction only ever lowers a map (relu of the map minus a non-negative mix of context maps); and packages without the output
// or with an untied lm_head and no onnx/lm_head.onnx are refused with a message that says so.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../electron/contract/types.js';
import { analyzeWithAnalyses } from '../../electron/engine/analysis/with-analyses.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { activationMap, headAggregate, spearman } from '../../electron/engine/metrics/index.js';
import { loadRuntime } from '../../electron/engine/model/runtime.js';
import { runTap } from '../../electron/tap/index.js';
import { ROOT } from './fixtures.js';

const bench = join(ROOT, 'resources/bench/loupe-mini');
const item = (JSON.parse(readFileSync(join(bench, 'test.json'), 'utf8')) as { images: string[]; query: string; bbox: Box }[])[1];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loupe-activation-'));
  for (const m of ['loupe-tiny-r2i']) cpSync(join(ROOT, 'resources/models', m), join(dir, m), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/models/tiny-qwen2_5_vl'), join(dir, 'tiny-qwen2_5_vl'), { recursive: true });
  const quiet = { stdout: () => {}, stderr: () => {} };
  expect(await runTap([join(dir, 'loupe-tiny-r2i'), '--hidden-states'], quiet)).toBe(0);
  expect(await runTap([join(dir, 'tiny-qwen2_5_vl'), '--hidden-states'], quiet)).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('activation maps', () => {
  it('read the added hidden states without changing the analysis, and match their definition', async () => {
    const image = await decodeImage({ path: join(bench, item.images[0]) });
    const req = { question: item.query, box: item.bbox, maxNewTokens: 6 };
    const plain = await loadRuntime(join(ROOT, 'resources/models/loupe-tiny-r2i'), 'cpu');
    const before = await analyzeWithAnalyses(plain, image, req);
    await plain.dispose();
    const rt = await loadRuntime(join(dir, 'loupe-tiny-r2i'), 'cpu');
    try {
      const raw = await analyzeWithAnalyses(rt, image, { ...req, hiddenStates: true, activation: { contextCorrection: false } });
      const corrected = await analyzeWithAnalyses(rt, image, { ...req, activation: {} });
      expect(raw.answer).toBe(before.answer);
      expect(raw.tokens).toEqual(before.tokens);
      expect(Buffer.from(raw.attention.data.buffer).equals(Buffer.from(before.attention.data.buffer))).toBe(true);
      expect(corrected.hiddenStates).toBeUndefined();

      // Unembedding rows straight from embed_tokens.onnx (tied lm_head): the tap's lm_head.onnx gives the same.
      expect(raw.activation!.unembedding).toBe('lm_head.onnx');
      const session = await ort.InferenceSession.create(join(dir, 'loupe-tiny-r2i/onnx/embed_tokens.onnx'));
      const ids = raw.tokens.map((t) => BigInt(t.id));
      const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, ids.length]) });
      const rows = out['inputs_embeds'].data as Float32Array;
      const hs = raw.hiddenStates!;
      expect(hs.cells).toBe(raw.geometry.gridH * raw.geometry.gridW);
      const maps = raw.tokens.map((_, i) => activationMap(hs.data, hs.dim, rows.subarray(i * hs.dim, (i + 1) * hs.dim)));
      const act = raw.activation!;
      expect(act.tokens.length).toBe(raw.tokens.length);
      act.tokens.forEach((t, i) => {
        expect(t.alpha).toBe(0);
        t.map.forEach((v, c) => expect(v).toBeCloseTo(maps[i][c], 4));
        const rho = spearman(t.map, headAggregate(raw.attention, act.layer, 'mean', i));
        expect(t.spearman).toBeCloseTo(rho, 10);
      });
      // With the correction, token 0 has no context (unchanged); a later token's map is contextCorrected.
      const c = corrected.activation!;
      expect(c.contextCorrection).toBe(true);
      c.tokens[0].map.forEach((v, k) => expect(v).toBeCloseTo(maps[0][k], 4));
      const last = c.tokens.length - 1;
      if (last > 0) {
        // Weights come from the hidden states at the context tokens' positions: the map is a relu of
        // maps[last] minus a non-negative multiple of a mix of the context maps, so it never exceeds it.
        c.tokens[last].map.forEach((v, k) => expect(v).toBeLessThanOrEqual(maps[last][k] + 1e-6));
      }
    } finally {
      await rt.dispose();
    }
  }, 120_000);

  it('are refused, saying why, without the hidden-states output or with an untied lm_head', async () => {
    const image = await decodeImage({ path: join(bench, item.images[0]) });
    const plain = await loadRuntime(join(ROOT, 'resources/models/loupe-tiny-r2i'), 'cpu');
    await expect(analyzeWithAnalyses(plain, image, { question: item.query, activation: {} })).rejects.toThrow(/--hidden-states/);
    await plain.dispose();
    // The tap wrote onnx/lm_head.onnx beside the decoder; an untied package without it has no rows.
    rmSync(join(dir, 'tiny-qwen2_5_vl/onnx/lm_head.onnx'));
    const untied = await loadRuntime(join(dir, 'tiny-qwen2_5_vl'), 'cpu');
    await expect(analyzeWithAnalyses(untied, image, { question: 'What is this?', activation: {} })).rejects.toThrow(
      /untied lm_head.*no onnx\/lm_head\.onnx.*loupe tap/s,
    );
    await untied.dispose();
  }, 120_000);
});
