import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../contract/api.js';
import type { BatchRecord, BatchSpec } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { runBatch } from './runner.js';
import { mergeRuns, listRuns } from './runs.js';
import { ResultStore } from './store.js';
import { MODEL_DOUBLE, analyzerDouble, loadedBenchDouble } from './testing/batch-doubles.js';

let runsDir: string;
beforeEach(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'loupe-runs-'));
});
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

const SPEC: BatchSpec = { modelId: MODEL_DOUBLE.id, benchId: '/bench/fake', views: ['global', 'regional'], layers: [], maxNewTokens: 8 };
const fixedNow = () => new Date('2026-02-11T12:00:00Z');

/** Records without timestamps, sorted by key: what must be equal between equivalent runs. */
function canonical(records: readonly BatchRecord[]): Omit<BatchRecord, 'finishedAt'>[] {
  return records.map(({ finishedAt: _f, ...r }) => r).sort((a, b) => a.key.localeCompare(b.key));
}

function fileLines(runId: string): string[] {
  return readFileSync(join(runsDir, runId, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

describe('runBatch', () => {
  it('analyses every item x view, judges, measures every layer and reports events', async () => {
    const events: EngineEvent[] = [];
    const analyzer = analyzerDouble();
    const info = await runBatch(
      SPEC,
      { model: MODEL_DOUBLE, bench: loadedBenchDouble(6), analyzeDual: analyzer },
      new AbortController().signal,
      (e) => events.push(e),
      { runsDir, runId: 'full', now: fixedNow },
    );
    expect(info).toMatchObject({ runId: 'full', done: 12, total: 12, state: 'finished', modelName: 'fake-model', benchName: 'fake-bench' });
    expect(analyzer.calls).toHaveLength(6); // one dual call per item
    const { records } = new ResultStore(runsDir, 'full').read();
    expect(records).toHaveLength(12);
    const g0 = records.find((r) => r.itemId === 'item-0' && r.view === 'global')!;
    expect(Object.keys(g0.layers)).toEqual(['1', '2', '3', '4']);
    expect(g0.judgement).toBe('correct');
    expect(g0.key).toBe(`item-0|global|${MODEL_DOUBLE.hash}|${g0.settingsHash}`);
    expect(g0.grid?.values).toHaveLength(16);
    expect(g0.gridLayer).toBe(3);
    expect(g0.boxAreaShare).toBeCloseTo(0.25, 12); // 50x50 of 100x100
    expect(records.find((r) => r.itemId === 'item-1' && r.view === 'global')!.judgement).toBe('wrong');
    expect(records.find((r) => r.view === 'regional')!.layers).toEqual({});
    expect(events.filter((e) => e.type === 'batch.item')).toHaveLength(12);
    const last = events.at(-1)!;
    expect(last).toEqual({ type: 'batch.finished', runId: 'full', state: 'finished' });
    const progress = events.filter((e) => e.type === 'batch.progress').at(-1)!;
    expect(progress).toMatchObject({ done: 12, total: 12, failed: 0, etaSeconds: 0 });
    expect(new ResultStore(runsDir, 'full').readMeta().state).toBe('finished');
  });

  it("keeps the model's exporter parity warning in run.json", async () => {
    const warning = 'Model fake-model has no exporter parity record (loupe.json "parity"): ...';
    const model = { ...MODEL_DOUBLE, parity: { state: 'missing' as const, warning } };
    await runBatch(
      { ...SPEC, limit: 1 },
      { model, bench: loadedBenchDouble(2), analyzeDual: analyzerDouble() },
      new AbortController().signal,
      () => {},
      { runsDir, runId: 'warned', now: fixedNow },
    );
    expect(new ResultStore(runsDir, 'warned').readMeta().model.parity).toEqual({ state: 'missing', warning });
  });

  it('resumes after a kill mid-write: no loss, no duplicates, only missing units re-analysed', async () => {
    const bench = loadedBenchDouble(5);
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'ref',
      now: fixedNow,
    });
    const reference = new ResultStore(runsDir, 'ref').read().records;
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'killed',
      now: fixedNow,
    });
    // Simulate kill -9 in the middle of writing the 6th line (item-2's regional record).
    const path = join(runsDir, 'killed', 'results.jsonl');
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const cut = lines.slice(0, 5).join('\n').length + 1 + Math.floor(lines[5].length / 2);
    truncateSync(path, cut);
    const meta = JSON.parse(readFileSync(join(runsDir, 'killed', 'run.json'), 'utf8'));
    writeFileSync(join(runsDir, 'killed', 'run.json'), JSON.stringify({ ...meta, state: 'running' }));
    expect(listRuns(runsDir).find((r) => r.runId === 'killed')?.state).toBe('interrupted');
    expect(new ResultStore(runsDir, 'killed').read()).toMatchObject({ skippedLines: 1 });
    expect(new ResultStore(runsDir, 'killed').read().records).toHaveLength(5);

    const again = analyzerDouble();
    const info = await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: again }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'killed',
      now: fixedNow,
    });
    expect(info.state).toBe('finished');
    expect(again.calls).toEqual([
      { itemId: 'item-2', views: ['regional'] },
      { itemId: 'item-3', views: ['global', 'regional'] },
      { itemId: 'item-4', views: ['global', 'regional'] },
    ]);
    const lines2 = fileLines('killed');
    expect(lines2).toHaveLength(10);
    for (const l of lines2) JSON.parse(l); // the torn line was cut, every line parses
    expect(canonical(new ResultStore(runsDir, 'killed').read().records)).toEqual(canonical(reference));
    // A second resume has nothing to do.
    const third = analyzerDouble();
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: third }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'killed',
      now: fixedNow,
    });
    expect(third.calls).toHaveLength(0);
    expect(fileLines('killed')).toHaveLength(10);
  });

  it('shards i/n merged equal the unsharded run', async () => {
    const bench = loadedBenchDouble(7);
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'whole',
      now: fixedNow,
    });
    const dirs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const info = await runBatch(
        { ...SPEC, shard: { index: i, count: 3 } },
        { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() },
        new AbortController().signal,
        () => {},
        { runsDir, runId: `shard-${i}`, now: fixedNow },
      );
      expect(info.total).toBe([3, 2, 2][i] * 2);
      dirs.push(join(runsDir, `shard-${i}`));
    }
    // Merging a shard twice must not duplicate anything.
    const merged = mergeRuns([...dirs, dirs[0]], join(runsDir, 'merged'));
    expect(merged).toEqual({ runId: 'merged', records: 14, duplicates: 6, missingShards: [] });
    const whole = new ResultStore(runsDir, 'whole').read().records;
    expect(canonical(new ResultStore(runsDir, 'merged').read().records)).toEqual(canonical(whole));
    const meta = new ResultStore(runsDir, 'merged').readMeta();
    expect(meta.spec.shard).toBeUndefined();
    expect(meta.state).toBe('finished');
    expect(meta.total).toBe(14);
  });

  it('cancels cleanly: the current item is dropped, no partial line, resume completes', async () => {
    const ctl = new AbortController();
    const bench = loadedBenchDouble(6);
    const events: EngineEvent[] = [];
    const analyzer = analyzerDouble({
      delayMs: 5,
      onCall: (_id, n) => {
        if (n === 2) setTimeout(() => ctl.abort(), 1);
      },
    });
    const info = await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: analyzer }, ctl.signal, (e) => events.push(e), {
      runsDir,
      runId: 'cancel',
      now: fixedNow,
    });
    expect(info.state).toBe('cancelled');
    expect(info.done).toBe(4);
    const text = readFileSync(join(runsDir, 'cancel', 'results.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(new ResultStore(runsDir, 'cancel').read()).toMatchObject({ skippedLines: 0 });
    expect(new ResultStore(runsDir, 'cancel').read().records.map((r) => r.itemId)).toEqual(['item-0', 'item-0', 'item-1', 'item-1']);
    expect(events.at(-1)).toEqual({ type: 'batch.finished', runId: 'cancel', state: 'cancelled' });
    expect(new ResultStore(runsDir, 'cancel').readMeta().state).toBe('cancelled');
    const resumed = await runBatch(
      SPEC,
      { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() },
      new AbortController().signal,
      () => {},
      { runsDir, runId: 'cancel', now: fixedNow },
    );
    expect(resumed).toMatchObject({ state: 'finished', done: 12 });
  });

  it('records a throwing item as an error and goes on; retries it on resume', async () => {
    const bench = loadedBenchDouble(5, { bad: (i) => i === 1 });
    const events: EngineEvent[] = [];
    const info = await runBatch(
      SPEC,
      { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() },
      new AbortController().signal,
      (e) => events.push(e),
      { runsDir, runId: 'bad', now: fixedNow },
    );
    expect(info).toMatchObject({ state: 'finished', done: 10 });
    const records = new ResultStore(runsDir, 'bad').read().records;
    const bad = records.filter((r) => r.error !== undefined);
    expect(bad.map((r) => [r.itemId, r.view])).toEqual([
      ['bad-1', 'global'],
      ['bad-1', 'regional'],
    ]);
    expect(bad[0].error).toMatch(/cannot decode bad-1/);
    expect(events.filter((e) => e.type === 'batch.progress').at(-1)).toMatchObject({ failed: 2, done: 10 });
    const retry = analyzerDouble();
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: retry }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'bad',
      now: fixedNow,
    });
    expect(retry.calls.map((c) => c.itemId)).toEqual(['bad-1']);
    expect(new ResultStore(runsDir, 'bad').read().records).toHaveLength(10); // latest record per key
    const kept = analyzerDouble();
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: kept }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'bad',
      now: fixedNow,
      retryFailed: false,
    });
    expect(kept.calls).toHaveLength(0);
  });

  it('refuses to resume with another model or bad specs', async () => {
    const bench = loadedBenchDouble(2);
    await runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() }, new AbortController().signal, () => {}, {
      runsDir,
      runId: 'r1',
      now: fixedNow,
    });
    await expect(
      runBatch(
        SPEC,
        { model: { ...MODEL_DOUBLE, hash: 'other' }, bench, analyzeDual: analyzerDouble() },
        new AbortController().signal,
        () => {},
        { runsDir, runId: 'r1' },
      ),
    ).rejects.toThrow(/model hash/);
    const run = (spec: BatchSpec) =>
      runBatch(spec, { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() }, new AbortController().signal, () => {}, { runsDir });
    await expect(run({ ...SPEC, layers: [5] })).rejects.toThrow(BadRequestError);
    await expect(run({ ...SPEC, views: [] })).rejects.toThrow(/views/);
    await expect(run({ ...SPEC, shard: { index: 3, count: 3 } })).rejects.toThrow(/shard/);
    await expect(
      runBatch(SPEC, { model: MODEL_DOUBLE, bench, analyzeDual: analyzerDouble() }, new AbortController().signal, () => {}, {
        runsDir,
        runId: '../escape',
      }),
    ).rejects.toThrow(/Invalid run id/);
  });

  it('limit takes the first items and records only the requested layers', async () => {
    await runBatch(
      { ...SPEC, views: ['global'], layers: [2, 4], limit: 3 },
      { model: MODEL_DOUBLE, bench: loadedBenchDouble(6), analyzeDual: analyzerDouble() },
      new AbortController().signal,
      () => {},
      { runsDir, runId: 'lim', now: fixedNow },
    );
    const records = new ResultStore(runsDir, 'lim').read().records;
    expect(records.map((r) => r.itemId)).toEqual(['item-0', 'item-1', 'item-2']);
    expect(Object.keys(records[0].layers)).toEqual(['2', '4']);
  });
});
