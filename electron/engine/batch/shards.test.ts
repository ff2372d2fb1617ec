// Sharded runs as a cluster job array makes them: every shard started at once into one runs folder,
// then merged. Ids must never collide, and a merge must not pass an incomplete or mixed set of shards
// off as the whole run.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchSpec } from '../../contract/types.js';
import { BadRequestError, ConflictError } from '../errors.js';
import { newRunId } from './keys.js';
import { runBatch } from './runner.js';
import { mergeRuns } from './runs.js';
import { claimRunFolder, ResultStore } from './store.js';
import { MODEL_DOUBLE, analyzerDouble, loadedBenchDouble } from './testing/batch-doubles.js';

let runsDir: string;
beforeEach(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'loupe-shards-'));
});
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

const SPEC: BatchSpec = { modelId: MODEL_DOUBLE.id, benchId: '/bench/fake', views: ['global', 'regional'], layers: [], maxNewTokens: 8 };
const sameSecond = () => new Date('2026-02-11T12:00:00Z');

/** Runs shard i/n (or the spec as given) with a fresh id, as `loupe bench --shard i/n` does. */
async function shardRun(spec: BatchSpec, items = 7): Promise<string> {
  const info = await runBatch(
    spec,
    { model: MODEL_DOUBLE, bench: loadedBenchDouble(items), analyzeDual: analyzerDouble() },
    new AbortController().signal,
    () => {},
    { runsDir, now: sameSecond },
  );
  return join(runsDir, info.runId);
}

describe('shard run ids', () => {
  it('name the shard, so shards of one spec started in the same second never share an id', () => {
    const t = sameSecond();
    expect(newRunId(t)).toMatch(/^20260211-120000-[0-9a-f]{6}$/);
    expect(newRunId(t, { index: 3, count: 8 })).toMatch(/^20260211-120000-[0-9a-f]{6}-shard3of8$/);
  });

  it('shards started together each get their own run folder', async () => {
    const dirs = await Promise.all([0, 1, 2].map((index) => shardRun({ ...SPEC, shard: { index, count: 3 } })));
    expect(new Set(dirs).size).toBe(3);
    expect(readdirSync(runsDir).sort()).toEqual(dirs.map((d) => d.slice(runsDir.length + 1)).sort());
    for (const [i, d] of dirs.entries()) {
      expect(d).toMatch(new RegExp(`-shard${i}of3$`));
      expect(ResultStore.atDir(d).readMeta().spec.shard).toEqual({ index: i, count: 3 });
    }
  });

  it('a new run never takes over an existing folder whose id it drew', () => {
    mkdirSync(join(runsDir, 'taken'));
    const ids = ['taken', 'taken', 'free'];
    expect(claimRunFolder(runsDir, () => ids.shift()!)).toBe('free');
    expect(existsSync(join(runsDir, 'free'))).toBe(true);
    expect(() => claimRunFolder(runsDir, () => 'taken', 3)).toThrow(ConflictError);
    expect(() => claimRunFolder(runsDir, () => 'taken', 3)).toThrow(/taken, taken, taken were all taken/);
  });
});

describe('mergeRuns over shards', () => {
  it('refuses a set with a shard missing, and with --partial marks the merge unfinished', async () => {
    const dirs = [await shardRun({ ...SPEC, shard: { index: 0, count: 3 } }), await shardRun({ ...SPEC, shard: { index: 2, count: 3 } })];
    expect(() => mergeRuns(dirs, join(runsDir, 'merged'))).toThrow(BadRequestError);
    expect(() => mergeRuns(dirs, join(runsDir, 'merged'))).toThrow(/Shard 1\/3 missing from the merge \(given: 0, 2 of 3\)/);
    expect(existsSync(join(runsDir, 'merged'))).toBe(false);
    const partial = mergeRuns(dirs, join(runsDir, 'merged'), { allowMissingShards: true });
    expect(partial).toMatchObject({ records: 10, duplicates: 0, missingShards: [1] });
    expect(ResultStore.atDir(join(runsDir, 'merged')).readMeta()).toMatchObject({ state: 'interrupted', total: 10 });
  });

  it('refuses shards of different views or limits (they cover other items)', async () => {
    const a = await shardRun({ ...SPEC, shard: { index: 0, count: 2 } });
    const b = await shardRun({ ...SPEC, views: ['global'], shard: { index: 1, count: 2 } });
    const c = await shardRun({ ...SPEC, limit: 4, shard: { index: 1, count: 2 } });
    expect(() => mergeRuns([a, b], join(runsDir, 'm1'))).toThrow(/covers other items/);
    expect(() => mergeRuns([a, c], join(runsDir, 'm2'))).toThrow(/limit 4/);
  });

  it('counts a shard given twice (a rerun) once in the merged total', async () => {
    const dirs = await Promise.all([0, 1].map((index) => shardRun({ ...SPEC, shard: { index, count: 2 } })));
    const rerun = await shardRun({ ...SPEC, shard: { index: 1, count: 2 } });
    const merged = mergeRuns([...dirs, rerun], join(runsDir, 'merged'));
    expect(merged).toEqual({ runId: 'merged', records: 14, duplicates: 6, missingShards: [] });
    expect(ResultStore.atDir(join(runsDir, 'merged')).readMeta()).toMatchObject({ state: 'finished', total: 14 });
  });
});
