// Activation maps on the tiny real-architecture fixtures (untied lm_head): the ONNX package given
// `loupe tap --hidden-states` (decoder output + onnx/lm_head.onnx) against the PyTorch engine on the same
// seeded weights (loupe_export.tiny, seed 0). Same answer tokens, the same raw and context-corrected maps
// to 1e-4, the same rank correlations; both against the stored expected outputs
// (test/fixtures/analyses/activation-expected.json, rewritten only with LOUPE_WRITE_EXPECTED=1). The
// worker's inputs themselves are checked against an eager pass's logits in numpy
// (native-models/tests/test_loupe_worker.py, test_activation_inputs_are_the_logit_lens_of_an_eager_pass).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActivationResult } from '../../electron/contract/analyses.js';
import type { Box } from '../../electron/contract/types.js';
import { analyzeWithAnalyses } from '../../electron/engine/analysis/with-analyses.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { loadRuntime } from '../../electron/engine/model/runtime.js';
import { loadTorchRuntime } from '../../electron/engine/torch/runtime.js';
import { runTap } from '../../electron/tap/index.js';
import { NATIVE_MODELS, venvPython } from '../support/python-venv.js';
import { ROOT } from './fixtures.js';

const EXPECTED = join(ROOT, 'test/fixtures/analyses/activation-expected.json');
const WRITE = process.env['LOUPE_WRITE_EXPECTED'] === '1';
const TOL = 1e-4;
const QUESTION = 'What is in the box?';
const BOX: Box = [8, 8, 40, 40];
const budget = { device: 'cpu' as const, availableBytes: 8 * 1024 ** 3, what: 'a fixed 8 GiB test budget' };
const tmp = mkdtempSync(join(tmpdir(), 'loupe-activation-engines-'));
const expected = existsSync(EXPECTED) ? (JSON.parse(readFileSync(EXPECTED, 'utf8')) as Record<string, Stored>) : {};
const written: Record<string, Stored> = {};

interface Stored {
  ids: number[];
  unembedding: ActivationResult['unembedding'];
  maps: number[][];
  alphas: number[];
  spearman: (number | null)[];
  coverage: number[];
}

function stored(a: ActivationResult, ids: number[]): Stored {
  return {
    ids,
    unembedding: a.unembedding,
    maps: a.tokens.map((t) => t.map.map((v) => Number(v.toPrecision(7)))),
    alphas: a.tokens.map((t) => t.alpha),
    spearman: a.tokens.map((t) => t.spearman),
    coverage: a.tokens.map((t) => t.metrics?.coveragePaper ?? NaN),
  };
}

function expectClose(a: readonly number[], b: readonly number[], tol: number): void {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...b.map(Math.abs));
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol * scale));
}

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (WRITE) writeFileSync(EXPECTED, `${JSON.stringify({ ...expected, ...written }, null, 1)}\n`);
});

describe.each(['qwen2_5_vl', 'qwen3_vl'] as const)('activation maps, tiny %s: ONNX with lm_head.onnx vs PyTorch', (family) => {
  it('agree with each other and with the stored outputs', async () => {
    const fixture = join(ROOT, 'test/fixtures/models', `tiny-${family}`);
    const onnxDir = join(tmp, `onnx-${family}`);
    cpSync(fixture, onnxDir, { recursive: true });
    const quiet = { stdout: () => {}, stderr: () => {} };
    expect(await runTap([onnxDir, '--hidden-states'], quiet)).toBe(0);
    expect(existsSync(join(onnxDir, 'onnx/lm_head.onnx'))).toBe(true);
    const hf = join(tmp, `hf-${family}`);
    const code = `import sys; from loupe_export.tiny import build_tiny_checkpoint; build_tiny_checkpoint(sys.argv[1], sys.argv[2], seed=0)`;
    const r = spawnSync(venvPython(), ['-c', code, family, hf], { cwd: NATIVE_MODELS, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`building the tiny ${family} checkpoint failed:\n${r.stderr}`);

    const image = await decodeImage({ name: 'parity-image.png', bytes: readFileSync(join(fixture, 'parity-image.png')) });
    const req = { question: QUESTION, box: BOX, maxNewTokens: 4, withGeneric: false };
    const results: Record<string, { raw: ActivationResult; corrected: ActivationResult; ids: number[] }> = {};
    for (const [name, rt] of [
      ['onnx', await loadRuntime(onnxDir, 'cpu')],
      ['torch', await loadTorchRuntime(hf, 'cpu', { dtype: 'fp32', budget })],
    ] as const) {
      try {
        const raw = await analyzeWithAnalyses(rt, image, { ...req, activation: { contextCorrection: false } });
        const corrected = await analyzeWithAnalyses(rt, image, { ...req, activation: {} });
        expect(corrected.tokens).toEqual(raw.tokens);
        results[name] = { raw: raw.activation!, corrected: corrected.activation!, ids: raw.tokens.map((t) => t.id) };
      } finally {
        await rt.dispose();
      }
    }
    const { onnx, torch } = results as Record<'onnx' | 'torch', (typeof results)[string]>;
    expect(onnx.raw.unembedding).toBe('lm_head.onnx');
    expect(torch.raw.unembedding).toBe('lm_head');
    expect(torch.ids).toEqual(onnx.ids);
    expect(onnx.ids.length).toBeGreaterThan(1);
    for (const kind of ['raw', 'corrected'] as const)
      onnx[kind].tokens.forEach((t, i) => {
        expectClose(torch[kind].tokens[i].map, t.map, TOL);
        expect(torch[kind].tokens[i].alpha).toBeCloseTo(t.alpha, 3);
      });
    // A later token with context is actually corrected (else the correction's path goes untested here).
    expect(onnx.corrected.tokens.some((t) => t.alpha !== 0)).toBe(true);

    const got = stored(torch.corrected, torch.ids);
    written[family] = got;
    if (WRITE) return;
    const want = expected[family];
    expect(want, `no stored activation outputs for ${family}: run with LOUPE_WRITE_EXPECTED=1 once and review`).toBeDefined();
    expect(got.ids).toEqual(want!.ids);
    got.maps.forEach((m, i) => expectClose(m, want!.maps[i], TOL));
    expectClose(got.alphas, want!.alphas, 1e-3);
    expectClose(got.coverage, want!.coverage, 1e-3);
    got.spearman.forEach((s, i) => (s === null ? expect(want!.spearman[i]).toBeNull() : expect(s).toBeCloseTo(want!.spearman[i]!, 3)));
  }, 600_000);
});
