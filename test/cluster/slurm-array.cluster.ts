// A sharded run under a real scheduler: Debian's Slurm (slurmctld, slurmd and munged on this host,
// test/cluster/slurm-local.sh) runs the committed job array docs/examples/zoombench-array.sbatch
// through docs/examples/zoombench-submit.sh, exactly as docs/cli.md tells a researcher to: one
// `loupe bench --shard i/3 --runs DIR` per array task on the bundled ZoomBench-layout mini bench and
// student, then a `loupe merge` job that waits for the array (afterok). The merged run must equal an
// unsharded run of the same spec item for item: answers, judgements and every metric, not timestamps.
//
// Slurm is installed with apt-get when missing (root or password-less sudo); where it cannot be
// installed or started the test fails saying why. LOUPE_SKIP_SLURM=1 skips it on purpose (CI never sets it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRecord } from '../../electron/contract/types.js';
import { ResultStore } from '../../electron/engine/batch/index.js';
import { ROOT } from '../integration/fixtures.js';

const SLURM_LOCAL = join(ROOT, 'test/cluster/slurm-local.sh');
const SUBMIT = join(ROOT, 'docs/examples/zoombench-submit.sh');
const BIN = join(ROOT, 'bin/loupe.js');
const BENCH = join(ROOT, 'resources/bench/loupe-mini');
const MODEL = 'loupe-tiny-r2i';
const SHARDS = 3;
/** Items 0..11 of the mini bench, both views: 24 records, four items per shard. */
const LIMIT = 12;
const skip = process.env.LOUPE_SKIP_SLURM === '1';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      stderr += `\n[killed after ${timeoutMs / 1000} s]`;
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function explain(what: string, r: Ran): string {
  return `${what} exited with ${r.code}.\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** `shard<i>of<n>` from a shard run's id or folder. */
function suffix(run: string): string {
  return /shard\d+of\d+$/.exec(run)?.[0] ?? run;
}

/** Records without their timestamps, by key: what two runs of one spec must agree on. */
function byKey(records: readonly BatchRecord[]): Map<string, Omit<BatchRecord, 'finishedAt'>> {
  return new Map(records.map(({ finishedAt: _f, ...r }) => [r.key, r] as const));
}

describe.skipIf(skip)('a job array under Slurm, merged, equals the unsharded run', () => {
  let work: string;
  let slurmDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'loupe-slurm-'));
    slurmDir = join(work, 'slurm');
    const install = await run('bash', [SLURM_LOCAL, 'install'], process.env, 300_000);
    if (install.code !== 0)
      throw new Error(
        `Slurm could not be installed, so the cluster test cannot run (set LOUPE_SKIP_SLURM=1 to skip it on purpose). ${explain('slurm-local.sh install', install)}`,
      );
    const start = await run('bash', [SLURM_LOCAL, 'start', slurmDir], process.env, 120_000);
    if (start.code !== 0)
      throw new Error(
        `The local Slurm cluster did not start (set LOUPE_SKIP_SLURM=1 to skip this test on purpose). ${explain('slurm-local.sh start', start)}`,
      );
    env = {
      ...process.env,
      SLURM_CONF: join(slurmDir, 'slurm.conf'),
      // what the jobs run: the checkout's CLI through tsx, as `node bin/loupe.js`
      LOUPE: `${process.execPath} ${BIN}`,
      // the node has as many CPUs as this machine (2 in CI): one per shard lets two run at once
      LOUPE_SBATCH_ARGS: '--cpus-per-task=1 --time=10',
    };
  }, 480_000);

  afterAll(async () => {
    if (slurmDir) await run('bash', [SLURM_LOCAL, 'stop', slurmDir], process.env, 60_000);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 90_000);

  /** Polls scontrol until every job of `jobId` (all array tasks) has ended; returns their states. */
  async function waitForJobs(jobId: string, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await run('scontrol', ['show', 'job', '--oneliner', jobId], env, 30_000);
      if (r.code !== 0) throw new Error(explain(`scontrol show job ${jobId}`, r));
      const states = [...r.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
      if (states.length > 0 && states.every((s) => !['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING'].includes(s))) return states;
      if (Date.now() > deadline) throw new Error(`Slurm job ${jobId} still not done after ${timeoutMs / 1000} s:\n${r.stdout}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }

  function logs(runs: string): string {
    return readdirSync(runs)
      .filter((f) => f.endsWith('.log'))
      .map((f) => `--- ${f}\n${readFileSync(join(runs, f), 'utf8')}`)
      .join('\n');
  }

  it(`runs ${SHARDS} shards as array tasks, merges them in a dependent job, and matches the unsharded run`, async () => {
    const runs = join(work, 'runs');
    const submitted = await run(
      'bash',
      [SUBMIT, String(SHARDS), BENCH, runs, '--model', MODEL, '--limit', String(LIMIT), '--json'],
      env,
      60_000,
    );
    expect(submitted.code, explain('zoombench-submit.sh', submitted)).toBe(0);
    const arrayId = /^array (\d+)$/m.exec(submitted.stdout)?.[1];
    const mergeId = /^merge (\d+)$/m.exec(submitted.stdout)?.[1];
    expect(arrayId, submitted.stdout).toBeDefined();
    expect(mergeId, submitted.stdout).toBeDefined();

    // The unsharded reference, outside Slurm, while the array runs.
    const whole = join(work, 'whole');
    const reference = await run(
      process.execPath,
      [BIN, 'bench', BENCH, '--model', MODEL, '--limit', String(LIMIT), '--runs', whole, '--json'],
      process.env,
      300_000,
    );
    expect(reference.code, explain('loupe bench (unsharded)', reference)).toBe(0);

    const taskStates = await waitForJobs(arrayId!, 300_000);
    expect(taskStates, logs(runs)).toEqual(Array(SHARDS).fill('COMPLETED'));
    const mergeStates = await waitForJobs(mergeId!, 120_000);
    expect(mergeStates, logs(runs)).toEqual(['COMPLETED']);

    // Every array task wrote its own shard run into the one runs folder.
    const shardDirs = readdirSync(runs)
      .filter((f) => /-shard\dof3$/.test(f))
      .sort((a, b) => suffix(a).localeCompare(suffix(b)));
    expect(shardDirs.map(suffix)).toEqual(['shard0of3', 'shard1of3', 'shard2of3']);
    const seen = new Set<string>();
    for (const [i, d] of shardDirs.entries()) {
      const store = ResultStore.atDir(join(runs, d));
      const meta = store.readMeta();
      expect(meta.spec.shard).toEqual({ index: i, count: SHARDS });
      expect(meta.state).toBe('finished');
      const records = store.read().records;
      expect(records).toHaveLength((LIMIT / SHARDS) * 2);
      for (const r of records) {
        expect(r.error, `${d} ${r.itemId} ${r.view}`).toBeUndefined();
        seen.add(r.key);
      }
      expect(readFileSync(join(runs, `loupe-bench-${arrayId}_${i}.log`), 'utf8')).toContain(`shard ${i}/${SHARDS} of ${BENCH}`);
    }
    expect(seen.size).toBe(LIMIT * 2); // the shards are disjoint and cover every item x view

    const [wholeId] = readdirSync(whole);
    const wholeStore = new ResultStore(whole, wholeId);
    const merged = ResultStore.atDir(join(runs, `merged-${arrayId}`));
    const wholeMeta = wholeStore.readMeta();
    const mergedMeta = merged.readMeta();
    expect(mergedMeta.spec).toEqual(wholeMeta.spec);
    expect(mergedMeta.model).toEqual(wholeMeta.model);
    expect(mergedMeta.settingsHash).toBe(wholeMeta.settingsHash);
    expect(mergedMeta).toMatchObject({ state: 'finished', total: LIMIT * 2 });
    expect(mergedMeta.mergedFrom?.map(suffix).sort()).toEqual(['shard0of3', 'shard1of3', 'shard2of3']);

    // Item for item: the same keys, and every field but the timestamp identical.
    const a = byKey(wholeStore.read().records);
    const b = byKey(merged.read().records);
    expect(a.size).toBe(LIMIT * 2);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [key, rec] of a) expect(b.get(key), key).toEqual(rec);
    // The comparison has teeth: both views answered, answers were judged, and every global-view
    // record carries coverage at each layer (the regional view is the key box itself: no coverage).
    const records = [...a.values()];
    expect(new Set(records.map((r) => r.view))).toEqual(new Set(['global', 'regional']));
    expect(records.filter((r) => r.answer !== '').length).toBeGreaterThan(LIMIT);
    expect(records.filter((r) => r.judgement === 'correct').length).toBeGreaterThan(0);
    for (const r of records.filter((x) => x.view === 'global')) expect(Object.keys(r.layers).length, r.key).toBeGreaterThan(0);
  }, 600_000);
});
