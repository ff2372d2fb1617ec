// Reading run folders back: run info for `batch.list`, records for `batch.records`, and merging shards.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BatchRecord, BatchSpec, RunInfo } from '../../contract/types.js';
import { BadRequestError, NotFoundError } from '../errors.js';
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
    failed: records.filter((r) => r.error !== undefined).length,
    state,
    startedAt: meta.startedAt,
    updatedAt: meta.updatedAt,
    ...store.readNotes(),
  };
}

/** The parts of a spec that decide what a run computes (everything but which model and bench, compared apart). */
function specKey(spec: BatchSpec): string {
  const { modelId: _m, benchId: _b, ...rest } = spec;
  const canonical: Record<string, unknown> = { ...rest, views: [...rest.views].sort(), layers: [...rest.layers].sort((x, y) => x - y) };
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(canonical)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  );
}

/**
 * Runs that computed exactly this spec: the same model files (hash), the same bench, and the same views,
 * layers, token budget, limit and shard (and any other setting the spec carries). Newest first.
 */
export function matchingRuns(
  runsDir: string,
  spec: BatchSpec,
  modelHash: string,
  benchId: string,
  activeRunIds?: ReadonlySet<string>,
): RunInfo[] {
  const key = specKey(spec);
  return listRuns(runsDir, activeRunIds).filter((r) => {
    if (r.modelHash !== modelHash) return false;
    try {
      const meta = new ResultStore(runsDir, r.runId).readMeta();
      return meta.bench.id === benchId && specKey({ ...meta.spec, modelId: spec.modelId, benchId: spec.benchId }) === key;
    } catch {
      return false;
    }
  });
}

/** Sets (or clears, with "") a run's name and notes. */
export function annotateRun(
  runsDir: string,
  runId: string,
  patch: { name?: string; notes?: string },
  activeRunIds?: ReadonlySet<string>,
): RunInfo {
  const store = new ResultStore(runsDir, runId);
  if (!store.exists()) throw new NotFoundError(`No run ${runId} in ${runsDir}.`, { file: store.dir });
  const limit = (v: string | undefined, max: number, field: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new BadRequestError(`${field} must be a string.`, { field });
    if (v.length > max) throw new BadRequestError(`${field} is ${v.length} characters; keep it under ${max}.`, { field });
    return v.trim();
  };
  const name = limit(patch.name, 200, 'name');
  const notes = limit(patch.notes, 20_000, 'notes');
  const next = { ...store.readNotes(), ...(name !== undefined ? { name } : {}), ...(notes !== undefined ? { notes } : {}) };
  store.writeNotes(next);
  return runInfo(store, activeRunIds);
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
  /** Shard indices of n that no input covers (empty unless the inputs are shards of one count). */
  missingShards: number[];
}

export interface MergeOptions {
  /** Merge even when some shards i/n are missing (their items are then absent from the merged run). */
  allowMissingShards?: boolean;
}

/** What must agree between runs for their union to be one run: everything in the spec but the shard. */
function specWithoutShard(m: RunMeta): string {
  return JSON.stringify([m.model.hash, m.settingsHash, m.bench.id, [...m.spec.views].sort(), m.spec.limit ?? null]);
}

/** Indices 0..n-1 that no input covers when every input is a shard of the same count n; else []. */
export function missingShardsOf(metas: readonly RunMeta[]): number[] {
  const shards = metas.map((m) => m.spec.shard);
  const count = shards[0]?.count;
  if (count === undefined || !shards.every((s) => s !== undefined && s.count === count)) return [];
  const have = new Set(shards.map((s) => s!.index));
  return Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i));
}

/**
 * Merges run folders (typically the shards i/n of one spec) into outDir, deduplicating by key.
 * Records are ordered by the first input's order, then the others'. The merged run.json keeps the
 * first input's spec without `shard`, and totals the inputs' totals. Inputs must share model, bench,
 * views, settings and limit; a set of shards i/n with some i missing is refused unless allowed, so a
 * merge that ran before every array task finished cannot pass for the whole run.
 */
export function mergeRuns(dirs: readonly string[], outDir: string, options: MergeOptions = {}): MergeResult {
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
    if (specWithoutShard(m) !== specWithoutShard(first)) {
      throw new BadRequestError(
        `Run ${m.runId} covers other items than ${first.runId} (bench ${m.bench.id}, views ${m.spec.views.join('+')}, limit ${m.spec.limit ?? 'none'}; ` +
          `against ${first.bench.id}, ${first.spec.views.join('+')}, ${first.spec.limit ?? 'none'}): only shards of one spec can be merged.`,
        { field: 'dirs' },
      );
    }
  }
  const missingShards = missingShardsOf(metas);
  if (missingShards.length > 0 && !options.allowMissingShards) {
    const count = first.spec.shard!.count;
    throw new BadRequestError(
      `Shard${missingShards.length > 1 ? 's' : ''} ${missingShards.map((i) => `${i}/${count}`).join(', ')} missing from the merge ` +
        `(given: ${[...new Set(metas.map((m) => m.spec.shard!.index))].sort((a, b) => a - b).join(', ')} of ${count}). ` +
        'Merge once every shard has run, or allow a partial merge (loupe merge --partial).',
      { field: 'dirs' },
    );
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
    writeMerged(out, byKey, first, metas, dirs, missingShards.length > 0);
  } finally {
    lock.release();
  }
  return { runId: out.runId, records: byKey.size, duplicates: seen - byKey.size, missingShards };
}

function writeMerged(
  out: ResultStore,
  byKey: Map<string, BatchRecord>,
  first: RunMeta,
  metas: readonly RunMeta[],
  dirs: readonly string[],
  partial: boolean,
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
    // a partial merge is unfinished: resuming it runs the missing shards' items
    state: !partial && states.every((s) => s === 'finished') ? 'finished' : 'interrupted',
    startedAt: metas.map((m) => m.startedAt).sort()[0],
    updatedAt: new Date().toISOString(),
    mergedFrom: dirs.map((d) => resolve(d)),
  };
  delete merged.error;
  out.writeMeta(merged);
}

/**
 * Shards i/n of one spec add up (a shard given twice, say rerun with --new, counts once); copies of
 * one unsharded run, or a mix of shard counts, do not, and the largest input total stands.
 */
function mergedTotal(metas: readonly RunMeta[]): number {
  const count = metas[0].spec.shard?.count;
  if (count === undefined || !metas.every((m) => m.spec.shard?.count === count)) return Math.max(...metas.map((m) => m.total));
  const perShard = new Map<number, number>();
  for (const m of metas) perShard.set(m.spec.shard!.index, Math.max(perShard.get(m.spec.shard!.index) ?? 0, m.total));
  return [...perShard.values()].reduce((a, b) => a + b, 0);
}

export function runDir(runsDir: string, runId: string): string {
  return join(runsDir, runId);
}
