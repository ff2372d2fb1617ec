// Reading run folders back: run info for `batch.list`, records for `batch.records`, and merging shards.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BatchRecord, RunInfo } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { liveHolder, RunLock } from './run-lock.js';
import { ResultStore } from './store.js';
import type { RunMeta } from './types.js';

export function runInfo(store: ResultStore, activeRunIds: ReadonlySet<string> = new Set()): RunInfo {
  const meta = store.readMeta();
  const records = store.read().records;
  // A run.json that still says "running" while no process runs it was killed: report it as interrupted.
  // Another process that holds the run's lock is still running it.
  const runningElsewhere = meta.state === 'running' && !activeRunIds.has(meta.runId) && liveHolder(store.dir) !== undefined;
  const state: RunInfo['state'] =
    meta.state === 'running' && !activeRunIds.has(meta.runId) && !runningElsewhere ? 'interrupted' : meta.state;
  return {
    runId: meta.runId,
    spec: meta.spec,
    modelName: meta.model.name,
    modelHash: meta.model.hash,
    benchName: meta.bench.name,
    done: records.length,
    total: meta.total,
    state,
    startedAt: meta.startedAt,
  };
}

/** Every run folder under runsDir with a readable run.json, newest first. */
export function listRuns(runsDir: string, activeRunIds: ReadonlySet<string> = new Set()): RunInfo[] {
  if (!existsSync(runsDir)) return [];
  const out: RunInfo[] = [];
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      const store = new ResultStore(runsDir, entry.name);
      if (existsSync(store.runJsonPath)) out.push(runInfo(store, activeRunIds));
    } catch {
      // not a run folder (bad name or unreadable run.json): skip it
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** Prefer a successful record over an error; among equals, the later one. */
function better(a: BatchRecord, b: BatchRecord): BatchRecord {
  if ((a.error === undefined) !== (b.error === undefined)) return a.error === undefined ? a : b;
  return b.finishedAt >= a.finishedAt ? b : a;
}

export interface MergeResult {
  runId: string;
  records: number;
  duplicates: number;
}

/**
 * Merges run folders (typically the shards i/n of one spec) into outDir, deduplicating by key.
 * Records are ordered by the first input's order, then the others'. The merged run.json keeps the
 * first input's spec without `shard`, and totals the inputs' totals.
 */
export function mergeRuns(dirs: readonly string[], outDir: string): MergeResult {
  if (dirs.length === 0) throw new BadRequestError('mergeRuns needs at least one run folder.', { field: 'dirs' });
  const stores = dirs.map((d) => ResultStore.atDir(d));
  const metas = stores.map((s) => s.readMeta());
  const first = metas[0];
  for (const m of metas) {
    if (m.model.hash !== first.model.hash || m.settingsHash !== first.settingsHash) {
      throw new BadRequestError(
        `Run ${m.runId} used a different model or settings than ${first.runId}; only runs of the same spec can be merged.`,
        { field: 'dirs' },
      );
    }
  }
  const byKey = new Map<string, BatchRecord>();
  let seen = 0;
  for (const s of stores) {
    for (const r of s.read().records) {
      seen++;
      const prev = byKey.get(r.key);
      byKey.set(r.key, prev ? better(prev, r) : r);
    }
  }
  const out = ResultStore.atDir(outDir);
  mkdirSync(out.dir, { recursive: true });
  // The merged folder is a run like any other: no writer may be appending to it meanwhile.
  const lock = RunLock.acquire(out.dir, out.runId);
  try {
    writeMerged(out, byKey, first, metas, dirs);
  } finally {
    lock.release();
  }
  return { runId: out.runId, records: byKey.size, duplicates: seen - byKey.size };
}

function writeMerged(
  out: ResultStore,
  byKey: Map<string, BatchRecord>,
  first: RunMeta,
  metas: readonly RunMeta[],
  dirs: readonly string[],
): void {
  out.writeAll([...byKey.values()]);
  const spec = { ...first.spec };
  delete spec.shard;
  const states = metas.map((m) => m.state);
  const merged: RunMeta = {
    ...first,
    runId: out.runId,
    spec,
    total: mergedTotal(metas),
    state: states.every((s) => s === 'finished') ? 'finished' : 'interrupted',
    startedAt: metas.map((m) => m.startedAt).sort()[0],
    updatedAt: new Date().toISOString(),
    mergedFrom: dirs.map((d) => resolve(d)),
  };
  delete merged.error;
  out.writeMeta(merged);
}

/** Distinct shards of one spec add up; copies of the same (unsharded or same-shard) run do not. */
function mergedTotal(metas: readonly RunMeta[]): number {
  const shards = metas.map((m) => m.spec.shard);
  const distinctShards =
    shards.every((s) => s !== undefined && s.count === shards[0]!.count) && new Set(shards.map((s) => s!.index)).size === shards.length;
  return distinctShards ? metas.reduce((a, m) => a + m.total, 0) : Math.max(...metas.map((m) => m.total));
}

export function runDir(runsDir: string, runId: string): string {
  return join(runsDir, runId);
}
