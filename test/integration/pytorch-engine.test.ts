// The PyTorch engine against the ONNX engine on the same weights: the tiny Qwen2.5-VL and Qwen3-VL
// fixtures are rebuilt as Hugging Face checkpoints from their seed (loupe_export.tiny, seed 0, the weights
// the ONNX fixtures were exported from), then both engines analyse the parity image. Paper coverage must
// agree at every layer to 1e-5, every attention value to 1e-5, and the greedy answers must be identical.
// Also: a worker killed mid-analysis is reported with its cause and the next analysis runs in a new worker.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../electron/engine/analysis/analyze.js';
import { answerOnImages } from '../../electron/engine/analysis/multi-image.js';
import { cropImage } from '../../electron/engine/image/crop.js';
import { decodeImage, type DecodedImage } from '../../electron/engine/image/decode.js';
import { coveragePaper, headAggregate } from '../../electron/engine/metrics/index.js';
import { loadRuntime, type ModelRuntime } from '../../electron/engine/model/runtime.js';
import { validateAnyModelDir } from '../../electron/engine/model/validate-any.js';
import { loadTorchRuntime, type TorchRuntime } from '../../electron/engine/torch/runtime.js';
import { NATIVE_MODELS, venvPython } from '../support/python-venv.js';
import { ROOT } from './fixtures.js';

const FAMILIES = ['qwen2_5_vl', 'qwen3_vl'] as const;
const QUESTION = 'What colour is the small sign in the top left corner of the image?';
const tmp = mkdtempSync(join(tmpdir(), 'loupe-torch-'));
// The memory guard plans with a fixed budget here: the test must not depend on what else the machine runs.
const budget = { device: 'cpu' as const, availableBytes: 8 * 1024 ** 3, what: 'a fixed 8 GiB test budget' };

function buildCheckpoint(family: string): string {
  const out = join(tmp, `hf-tiny-${family}`);
  const code = `import sys; from loupe_export.tiny import build_tiny_checkpoint; build_tiny_checkpoint(sys.argv[1], sys.argv[2], seed=0)`;
  const r = spawnSync(venvPython(), ['-c', code, family, out], { cwd: NATIVE_MODELS, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`building the tiny ${family} checkpoint failed:\n${r.stderr}`);
  return out;
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(FAMILIES)('PyTorch engine vs ONNX engine, tiny %s', (family) => {
  const fixture = join(ROOT, 'test/fixtures/models', `tiny-${family}`);
  let onnx: ModelRuntime;
  let torch: TorchRuntime;
  let image: DecodedImage;
  let box: [number, number, number, number];

  beforeAll(async () => {
    const parity = JSON.parse(readFileSync(join(fixture, 'parity.json'), 'utf8')) as { coverage: { box: typeof box } };
    box = parity.coverage.box;
    const hf = buildCheckpoint(family);
    image = await decodeImage({ name: 'parity-image.png', bytes: readFileSync(join(fixture, 'parity-image.png')) });
    onnx = await loadRuntime(fixture, 'cpu');
    torch = await loadTorchRuntime(hf, 'cpu', { dtype: 'fp32', budget });
  }, 600_000);

  afterAll(async () => {
    await onnx?.dispose();
    await torch?.dispose();
  });

  it('discovery tells the checkpoint from the package', async () => {
    expect((await validateAnyModelDir(torch.info.dir)).info).toMatchObject({ engine: 'pytorch', family, issues: [] });
    expect((await validateAnyModelDir(fixture)).info).toMatchObject({ engine: 'onnx', family, issues: [] });
    expect(torch.provider).toBe('cpu');
    expect(torch.dtype).toBe('fp32');
  });

  it('same answer, attention and paper coverage at every layer', async () => {
    const req = { question: QUESTION, maxNewTokens: 4, box };
    const a = await analyzeImage(onnx, image, req);
    const b = await analyzeImage(torch, image, req);
    expect(b.answer).toBe(a.answer);
    expect(b.tokens.map((t) => t.id)).toEqual(a.tokens.map((t) => t.id));
    expect(b.geometry).toEqual(a.geometry);
    expect(b.attention.numQueries).toBe(a.attention.numQueries);
    let maxDiff = 0;
    for (let i = 0; i < a.attention.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.attention.data[i] - b.attention.data[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    for (let layer = 1; layer <= a.attention.numLayers; layer++) {
      const ca = coveragePaper(headAggregate(a.attention, layer, 'mean', 0), a.geometry, box);
      const cb = coveragePaper(headAggregate(b.attention, layer, 'mean', 0), b.geometry, box);
      expect(Math.abs(ca - cb)).toBeLessThan(1e-5);
    }
    const ga = a.genericAttention?.data ?? new Float32Array();
    const gb = b.genericAttention?.data ?? new Float32Array(1);
    expect(gb.length).toBe(ga.length);
    for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i] - gb[i])).toBeLessThan(1e-5);
  }, 120_000);

  it('returns the visual positions’ final hidden states on request', async () => {
    const r = await analyzeImage(torch, image, { question: QUESTION, maxNewTokens: 1, withGeneric: false, hiddenStates: true });
    expect(r.hiddenStates?.cells).toBe(r.geometry.gridH * r.geometry.gridW);
    expect(r.hiddenStates?.dim).toBe(64);
    expect(r.hiddenStates?.data.length).toBe((r.hiddenStates?.cells ?? 0) * 64);
  }, 120_000);

  it('ViCrop input (full image, then the crop, one turn): the same answer, probabilities and grids', async () => {
    const { image: crop } = await cropImage(image, box);
    const req = { question: QUESTION, maxNewTokens: 4 };
    const a = await answerOnImages(onnx, [image, crop], req);
    const b = await answerOnImages(torch, [image, crop], req);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(b.tokens.map((t) => t.id)).toEqual(a.tokens.map((t) => t.id));
    expect(b.answer).toBe(a.answer);
    a.tokens.forEach((t, i) => expect(Math.abs(t.prob - b.tokens[i].prob)).toBeLessThan(1e-4));
    expect(b.visualTokens).toEqual(a.visualTokens);
    expect(b.geometries).toEqual(a.geometries);
    expect(a.visualTokens).toEqual(a.geometries.map((g) => g.gridH * g.gridW));
  }, 120_000);

  it('a worker killed mid-analysis is reported with its cause; the next analysis restarts it', async () => {
    const running = analyzeImage(torch, image, { question: QUESTION, maxNewTokens: 64 });
    // SIGKILL is what the kernel's out-of-memory killer sends.
    setTimeout(() => torch.worker.kill('SIGKILL'), 300);
    await expect(running).rejects.toThrow(/SIGKILL.*out-of-memory/s);
    const again = await analyzeImage(torch, image, { question: QUESTION, maxNewTokens: 2 });
    expect(again.attention.numLayers).toBe(torch.spec.numLayers);
    expect(torch.worker.deaths.length).toBe(1);
  }, 180_000);
});

describe('a non-Qwen family through the same contract: tiny Gemma 3', () => {
  let torch: TorchRuntime;
  beforeAll(async () => {
    const out = join(tmp, 'hf-tiny-gemma3');
    const r = spawnSync(venvPython(), ['-m', 'loupe_worker.tiny_families', 'gemma3', out], {
      cwd: NATIVE_MODELS,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`building the tiny gemma3 checkpoint failed:\n${r.stderr}`);
    torch = await loadTorchRuntime(out, 'auto', { dtype: 'fp32', budget });
  }, 600_000);
  afterAll(async () => torch?.dispose());

  it('finds its fixed 4x4 token grid and returns every layer and head', async () => {
    const image = await decodeImage({
      name: 'parity-image.png',
      bytes: readFileSync(join(ROOT, 'test/fixtures/models/tiny-qwen3_vl/parity-image.png')),
    });
    const r = await analyzeImage(torch, image, { question: QUESTION, maxNewTokens: 2, box: [0, 0, 40, 30] });
    expect(torch.info).toMatchObject({ engine: 'pytorch', family: 'gemma3', numLayers: 4, numHeads: 4 });
    expect(r.geometry).toMatchObject({ gridH: 4, gridW: 4, resizedWidth: 64, resizedHeight: 64, tokenPx: 16 });
    expect(r.attention).toMatchObject({ numLayers: 4, numHeads: 4, gridH: 4, gridW: 4 });
    const cov = coveragePaper(headAggregate(r.attention, 4, 'mean', 0), r.geometry, [0, 0, 40, 30]);
    expect(cov).toBeGreaterThan(0);
    expect(cov).toBeLessThan(1);
  }, 120_000);
});
