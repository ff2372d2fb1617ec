// The .npz exports load in NumPy (np.load, allow_pickle=False) with the layout docs/exports.md states:
// a synthetic analysis and a small run, written by the TypeScript encoder, read back by the project's venv.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, BatchRecord } from '../../electron/contract/types.js';
import { analysisToNpz } from '../../electron/engine/formats/analysis-npz.js';
import { runToNpz } from '../../electron/engine/batch/export-npz.js';
import type { RunMeta } from '../../electron/engine/batch/types.js';
import { runPython } from '../support/python-venv.js';
import { ROOT } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'loupe-npz-'));

function analysis(): AnalysisResult {
  const [Q, L, H, gh, gw] = [2, 3, 4, 2, 5];
  const data = Float32Array.from({ length: Q * L * H * gh * gw }, (_, i) => (i % 17) / 100 + 0.001);
  return {
    modelId: '/m/tiny',
    provider: 'cpu',
    question: 'What is written?',
    prompt: '<prompt>',
    answer: 'MCAX ✓',
    tokens: [
      { id: 7, text: 'MCAX', prob: 0.5 },
      { id: 2, text: ' ✓', prob: 0.25 },
    ],
    geometry: { imageWidth: 500, imageHeight: 200, resizedWidth: 140, resizedHeight: 56, gridH: gh, gridW: gw, tokenPx: 28 },
    attention: { numQueries: Q, numLayers: L, numHeads: H, gridH: gh, gridW: gw, data },
    preprocess: {
      protocol: 'hf',
      maxPixels: 7840,
      sourceWidth: 500,
      sourceHeight: 200,
      resizedWidth: 140,
      resizedHeight: 56,
      gridThw: [1, 4, 10],
      warnings: [],
    },
    box: [100, 0, 300, 100],
    timings: { preprocessMs: 1, visionMs: 2, prefillMs: 3, decodeMs: 4, metricsMs: 5 },
  };
}

/** Three records of a small run: measured, regional, failed. */
function smallRun(): { records: BatchRecord[]; meta: RunMeta } {
  const rec = (itemId: string, view: 'global' | 'regional', extra: Partial<BatchRecord>): BatchRecord => ({
    key: `${itemId}|${view}`,
    itemId,
    view,
    modelHash: 'h',
    settingsHash: 's',
    question: 'q',
    groundTruth: 'B',
    answer: 'B',
    extracted: 'B',
    judgement: 'correct',
    questionType: 'mcq',
    layers: {},
    finishedAt: '2026-01-01T00:00:00Z',
    ...extra,
  });
  const lm = (c: number) => ({ coveragePaper: c, coverageArea: c / 2, ratio: 3, pointing: true, entropy: 1 });
  const records = [
    rec('a', 'global', {
      bbox: [1, 2, 3, 4],
      layers: { '3': lm(0.25), '4': lm(0.5) },
      grid: { gridH: 1, gridW: 2, values: [0.1, 0.9] },
      gridLayer: 3,
    }),
    rec('a', 'regional', { grid: { gridH: 2, gridW: 3, values: [1, 2, 3, 4, 5, 6] }, gridLayer: 3 }),
    rec('b', 'global', { error: 'row 3 (id b), column image: not a readable image', judgement: 'unjudged' }),
  ];
  const meta: RunMeta = {
    runId: 'r1',
    spec: { modelId: 'm', benchId: 'b', views: ['global', 'regional'], layers: [], maxNewTokens: 16 },
    settingsHash: 's',
    model: { id: 'm', name: 'tiny', hash: 'h', numLayers: 4, defaultLayer: 3 },
    bench: { id: 'b', name: 'mini', path: '/b' },
    state: 'finished',
    total: 4,
    startedAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
  return { records, meta };
}

/**
 * Writes `bytes` to DIR/NAME and runs `body` in Python after loading it (`z`: the npz, `meta`: its JSON
 * metadata); `body` prints one JSON object, returned parsed.
 */
function loadInNumpy<T>(name: string, bytes: Uint8Array, body: string): T {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return JSON.parse(
    runPython(`import json, sys, numpy as np\nz = np.load(sys.argv[1])\nmeta = json.loads(str(z["meta"]))\n${body}`, [file]),
  ) as T;
}

describe('npz exports load in NumPy', () => {
  it('an analysis: attention [query, layer, head, row, col] and the metadata', () => {
    const r = analysis();
    const out = loadInNumpy<Record<string, unknown>>(
      'analysis.npz',
      analysisToNpz(r, { modelName: 'tiny', imageName: 'sign.png' }),
      `
a = z["attention"]
print(json.dumps({"names": sorted(z.files), "shape": list(a.shape), "dtype": str(a.dtype), "v": float(a[1, 2, 3, 1, 4]),
  "tokens": [str(t) for t in z["token_text"]], "answer": meta["answer"], "model": meta["model"], "box": z["box"].tolist(),
  "cov": z["metrics_coverage_paper"].tolist()}))
`,
    );
    expect(out.shape).toEqual([2, 3, 4, 2, 5]);
    expect(out.dtype).toBe('float32');
    const idx = (((1 * 3 + 2) * 4 + 3) * 2 + 1) * 5 + 4;
    expect(out.v).toBeCloseTo(r.attention.data[idx], 6);
    expect(out.tokens).toEqual(['MCAX', ' ✓']);
    expect(out.answer).toBe('MCAX ✓');
    expect(out.model).toBe('tiny');
    expect(out.box).toEqual([100, 0, 300, 100]);
    expect(out.names).toContain('metrics_coverage_paper');
    expect((out.cov as number[]).length).toBe(3);
  });

  it('an analysis with activation maps: one [row, col] map per answer token, with its index, alpha and Spearman', () => {
    const r = analysis();
    const cells = r.attention.gridH * r.attention.gridW;
    r.activation = {
      layer: 2,
      contextCorrection: true,
      meanSpearman: 0.25,
      unembedding: 'embed_tokens',
      tokens: [
        { index: 0, id: 11, text: 'MCAX', map: Array.from({ length: cells }, (_, i) => i / 10), alpha: 0, spearman: 0.5 },
        { index: 1, id: 12, text: ' ✓', map: Array.from({ length: cells }, () => 0), alpha: 0.75, spearman: null },
      ],
    };
    const out = loadInNumpy<{
      shape: number[];
      v: number;
      index: number[];
      alpha: number[];
      nan: boolean;
      rho: number;
      meta: Record<string, unknown>;
    }>(
      'analysis-activation.npz',
      analysisToNpz(r, { modelName: 'tiny', imageName: 'sign.png' }),
      `
m = z["activation"]
print(json.dumps({"shape": list(m.shape), "v": float(m[0, 1, 3]), "index": z["activation_token_index"].tolist(),
  "alpha": z["activation_alpha"].tolist(), "nan": bool(np.isnan(z["activation_spearman"][1])),
  "rho": float(z["activation_spearman"][0]), "meta": meta["activation"]}))
`,
    );
    expect(out.shape).toEqual([2, r.attention.gridH, r.attention.gridW]);
    expect(out.v).toBeCloseTo((1 * r.attention.gridW + 3) / 10, 6);
    expect(out.index).toEqual([0, 1]);
    expect(out.alpha).toEqual([0, 0.75]);
    expect(out.nan).toBe(true);
    expect(out.rho).toBeCloseTo(0.5, 6);
    expect(out.meta).toMatchObject({ layer: 2, contextCorrection: true, unembedding: 'embed_tokens', meanSpearman: 0.25 });
  });

  it('a run: one row per record, metrics per recorded layer, ragged grids by offset', () => {
    const { records, meta } = smallRun();
    const out = loadInNumpy<Record<string, unknown>>(
      'run.npz',
      runToNpz(records, meta),
      `
o = z["grid_offset"]
grids = [z["grid_values"][o[i]:o[i + 1]].reshape(z["grid_shape"][i]).tolist() for i in range(len(z["item_id"]))]
cov = z["coverage_paper"]
print(json.dumps({"run": meta["runId"], "items": z["item_id"].tolist(), "judgement": z["judgement"].tolist(), "layers": z["layers"].tolist(),
  "cov": [[None if np.isnan(x) else float(x) for x in row] for row in cov], "pointing": z["pointing"].tolist(), "grids": grids,
  "error": z["error"].tolist(), "bbox0": z["bbox"][0].tolist()}))
`,
    );
    expect(out.run).toBe('r1');
    expect(out.items).toEqual(['a', 'a', 'b']);
    expect(out.judgement).toEqual(['correct', 'correct', 'failed']);
    expect(out.layers).toEqual([3, 4]);
    expect(out.cov).toEqual([
      [0.25, 0.5],
      [null, null],
      [null, null],
    ]);
    expect(out.pointing).toEqual([
      [1, 1],
      [-1, -1],
      [-1, -1],
    ]);
    expect((out.grids as number[][][])[0][0][1]).toBeCloseTo(0.9, 6);
    expect((out.grids as number[][][])[1]).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect((out.grids as number[][][])[2]).toEqual([]);
    expect((out.error as string[])[2]).toContain('column image');
    expect(out.bbox0).toEqual([1, 2, 3, 4]);
  });

  it('the loader shown in docs/exports.md runs on what the exporters write', () => {
    const { records, meta } = smallRun();
    writeFileSync(join(dir, 'docs-run.npz'), runToNpz(records, meta));
    writeFileSync(join(dir, 'docs-analysis.npz'), analysisToNpz(analysis(), { modelName: 'tiny', imageName: 'sign.png' }));
    const page = readFileSync(join(ROOT, 'docs/exports.md'), 'utf8');
    const snippet = /```python\n([\s\S]*?)```/.exec(page)?.[1];
    expect(snippet).toBeDefined();
    const code = snippet!
      .replace(/np\.load\("loupe-tiny-r2i_test-[^"]+"\)/, `np.load(${JSON.stringify(join(dir, 'docs-analysis.npz'))})`)
      .replace(/np\.load\("loupe-tiny-r2i_loupe-mini_[^"]+"\)/, `np.load(${JSON.stringify(join(dir, 'docs-run.npz'))})`)
      .replace('LAYER = 24', 'LAYER = 3');
    expect(code).not.toContain('np.load("loupe');
    const out = runPython(
      `${code}\nprint(json.dumps({"map": list(paper_map.shape), "grid": list(first_grid.shape), "cov": float(cov[0])}))`,
    );
    const last = JSON.parse(out.trim().split('\n').pop()!) as { map: number[]; grid: number[]; cov: number };
    expect(last).toEqual({ map: [2, 5], grid: [1, 2], cov: 0.25 });
  });
});
