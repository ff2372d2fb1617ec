// The engine host end to end on a real model package (bundled student, else the random-weight dev
// package): discovery, provider fallback, one analysis, the dual view, determinism, cancellation,
// unloading, and a short batch run on the mini bench.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../electron/contract/api.js';
import type { ImageSource } from '../../electron/contract/types.js';
import { BadRequestError, CancelledError } from '../../electron/engine/errors.js';
import { EngineHost } from '../../electron/engine/host/index.js';
import { ROOT, findModelDir } from './fixtures.js';

const modelDir = findModelDir();
const bench = join(ROOT, 'resources/bench/loupe-mini');

describe('EngineHost', () => {
  let host: EngineHost;
  let modelId: string;
  const events: EngineEvent[] = [];
  const signal = () => new AbortController().signal;
  const mini = JSON.parse(readFileSync(join(bench, 'test.json'), 'utf8')) as {
    id: string;
    images: string[];
    query: string;
    bbox: [number, number, number, number];
  }[];
  const item = mini[0];
  const image: ImageSource = { kind: 'bytes', name: 'item.jpg', bytes: readFileSync(join(bench, item.images[0])) };

  beforeAll(async () => {
    const resources = mkdtempSync(join(tmpdir(), 'loupe-res-'));
    mkdirSync(join(resources, 'models'));
    mkdirSync(join(resources, 'bench'));
    symlinkSync(modelDir, join(resources, 'models', 'student'));
    cpSync(bench, join(resources, 'bench', 'loupe-mini'), { recursive: true });
    host = new EngineHost({ resourcesDir: resources, runsDir: mkdtempSync(join(tmpdir(), 'loupe-runs-')) });
    host.onEvent((e) => events.push(e));
    modelId = join(resources, 'models', 'student');
  });

  afterAll(async () => {
    await host?.dispose();
  });

  it('lists the bundled model with no issues', async () => {
    const models = await host.handle('models.list', {}, signal());
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ id: modelId, bundled: true, issues: [] });
  });

  it('honours an explicit provider: runs on it, or fails naming it (no silent CPU fallback)', async () => {
    const result: unknown = await host.handle('models.load', { modelId, provider: 'cuda' }, signal()).catch((e: unknown) => e);
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(BadRequestError);
      expect(result.message).toContain('cuda');
    } else {
      expect((result as { provider: string }).provider).toBe('cuda');
      await host.handle('models.unload', { modelId }, signal());
    }
  });

  it('refuses a load budget that is not a positive integer, naming the field', async () => {
    for (const maxPixels of [0, -5, 1.5]) {
      const err: unknown = await host.handle('models.load', { modelId, provider: 'cpu', maxPixels }, signal()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).field).toBe('maxPixels');
    }
  });

  it('falls back on auto: webgpu, then cuda, each alone, then cpu', async () => {
    const loaded = await host.handle('models.load', { modelId, provider: 'auto' }, signal());
    // Every failed attempt carries its error; the last attempt is the one that ran.
    expect(loaded.providerAttempts.map((a) => a.provider)).toEqual(['webgpu', 'cuda', 'cpu'].slice(0, loaded.providerAttempts.length));
    expect(loaded.providerAttempts.at(-1)).toEqual({ provider: loaded.provider, ok: true });
    for (const a of loaded.providerAttempts.slice(0, -1)) expect(a.error).toBeTruthy();
    expect(events.some((e) => e.type === 'model.loaded')).toBe(true);
  });

  it('runs one analysis with stage events, and twice gives identical results', async () => {
    events.length = 0;
    const req = { modelId, image, question: item.query, box: item.bbox, maxNewTokens: 4 };
    const a = await host.handle('analysis.run', req, signal());
    const b = await host.handle('analysis.run', req, signal());
    expect(
      events
        .filter((e) => e.type === 'analysis.stage')
        .map((e) => (e.type === 'analysis.stage' ? e.stage : ''))
        .slice(0, 5),
    ).toEqual(['preprocess', 'vision', 'prefill', 'decode', 'metrics']);
    expect(a.attention.numQueries).toBe(1 + a.tokens.length);
    expect(a.genericAttention?.numQueries).toBe(1);
    expect(a.geometry.imageWidth).toBe(873);
    expect(b.answer).toBe(a.answer);
    expect(b.tokens).toEqual(a.tokens);
    expect(Buffer.from(b.attention.data.buffer).equals(Buffer.from(a.attention.data.buffer))).toBe(true);
    expect(Buffer.from(b.genericAttention!.data.buffer).equals(Buffer.from(a.genericAttention!.data.buffer))).toBe(true);
  });

  it('runs the dual view and maps regional attention onto the global grid', async () => {
    const dual = await host.handle('analysis.dual', { modelId, image, question: item.query, box: item.bbox, maxNewTokens: 2 }, signal());
    expect(dual.errors).toBeUndefined();
    const r = { global: dual.global!, regional: dual.regional!, regionalInFull: dual.regionalInFull! };
    const { gridH, gridW } = r.global.geometry;
    expect(r.regionalInFull).toMatchObject({ gridH, gridW, numLayers: r.global.attention.numLayers });
    expect(r.regional.geometry.cropInFull).toEqual(item.bbox);
    // Mass is preserved per layer, and everything lies inside the crop's cells.
    const cells = gridH * gridW;
    const rc = r.regional.geometry.gridH * r.regional.geometry.gridW;
    for (let l = 0; l < r.regionalInFull.numLayers; l++) {
      let mapped = 0;
      for (let c = 0; c < cells; c++) mapped += r.regionalInFull.data[l * cells + c];
      let src = 0;
      const H = r.regional.attention.numHeads;
      for (let h = 0; h < H; h++) for (let c = 0; c < rc; c++) src += r.regional.attention.data[(l * H + h) * rc + c] / H;
      expect(mapped).toBeCloseTo(src, 4);
    }
    expect(r.regionalInFull.data[0]).toBe(0);
  });

  it('serves oriented display bytes', async () => {
    const img = await host.handle('images.get', { source: image }, signal());
    expect([img.mime, img.width, img.height]).toEqual(['image/jpeg', 873, 924]);
  });

  it('honours cancellation', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(host.handle('analysis.run', { modelId, image, question: 'q' }, ac.signal)).rejects.toBeInstanceOf(CancelledError);
    const ac2 = new AbortController();
    const p = host.handle('analysis.run', { modelId, image, question: item.query, maxNewTokens: 64 }, ac2.signal);
    setTimeout(() => ac2.abort(), 30);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });

  it('runs a short batch on the mini bench (both views) and summarises it', async () => {
    const benches = await host.handle('bench.list', {}, signal());
    const mb = benches.find((b) => b.name.includes('mini')) ?? benches[0];
    expect(mb.itemCount).toBeGreaterThan(2);
    const { runId } = await host.handle(
      'batch.start',
      { modelId, benchId: mb.id, views: ['global', 'regional'], layers: [], maxNewTokens: 2, limit: 2 },
      signal(),
    );
    await host.batches.wait(runId);
    const records = await host.handle('batch.records', { runId }, signal());
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.error === undefined)).toBe(true);
    const summary = await host.handle('batch.summary', { runId }, signal());
    expect(summary.done).toBe(4);
    expect(events.some((e) => e.type === 'batch.finished' && e.runId === runId && e.state === 'finished')).toBe(true);
    const runs = await host.handle('batch.list', {}, signal());
    expect(runs.find((r) => r.runId === runId)?.state).toBe('finished');
    const csv = await host.handle('batch.export', { runId, format: 'csv' }, signal());
    expect(csv.text?.startsWith('item_id,view,')).toBe(true);
    const grids = await host.handle('batch.export', { runId, format: 'grids' }, signal());
    expect(JSON.parse(grids.text ?? '[]')).toHaveLength(4);
    const cmp = await host.handle('compare.runs', { runA: runId, runB: runId }, signal());
    expect(cmp.pairedItems).toBeGreaterThan(0);
    expect(cmp.flipped).toEqual([]);
  });

  it('unloads (sessions disposed) once', async () => {
    expect(await host.handle('models.unload', { modelId }, signal())).toEqual({ unloaded: true });
    expect(await host.handle('models.unload', { modelId }, signal())).toEqual({ unloaded: false });
  });
});
