import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchSpec } from '../../contract/types.js';
import { ConflictError } from '../errors.js';
import { LOCK_FILE, RunLock } from './run-lock.js';
import { executeRun, openRun, runBatch } from './runner.js';
import { ResultStore } from './store.js';
import { MODEL_DOUBLE, analyzerDouble, loadedBenchDouble } from './testing/batch-doubles.js';

let runsDir: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'loupe-lock-'));
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  rmSync(runsDir, { recursive: true, force: true });
});

const SPEC: BatchSpec = { modelId: MODEL_DOUBLE.id, benchId: '/bench/fake', views: ['global', 'regional'], layers: [], maxNewTokens: 8 };
const deps = () => ({ model: MODEL_DOUBLE, bench: loadedBenchDouble(4), analyzeDual: analyzerDouble() });

/** The start-time field /proc gives a process, as the lock records it. */
function procStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** A lock file as another process on this machine would leave it. */
function writeForeignLock(dir: string, holder: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ since: '2026-12-01T10:00:00.000Z', ...holder })}\n`);
}

async function startSleeper(): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    p.once('spawn', () => resolve());
    p.once('error', reject);
  });
  return p;
}

describe('one writer per run', () => {
  it('refuses a second writer in the same process while the first holds the run, then lets it resume', async () => {
    const first = openRun(SPEC, deps(), { runsDir, runId: 'r1' });
    expect(existsSync(join(runsDir, 'r1', LOCK_FILE))).toBe(true);
    expect(() => openRun(SPEC, deps(), { runsDir, runId: 'r1' })).toThrow(ConflictError);
    await executeRun(first, new AbortController().signal, () => {});
    expect(existsSync(join(runsDir, 'r1', LOCK_FILE))).toBe(false);
    const again = await runBatch(SPEC, deps(), new AbortController().signal, () => {}, { runsDir, runId: 'r1' });
    expect(again.done).toBe(8);
    expect(new ResultStore(runsDir, 'r1').read().records).toHaveLength(8);
  });

  it.runIf(process.platform === 'linux')(
    'refuses while another live process holds the lock, and takes it over once that process is killed',
    async () => {
      child = await startSleeper();
      const pid = child.pid!;
      writeForeignLock(join(runsDir, 'r2'), { pid, host: hostname(), processStart: procStart(pid) });
      let message = '';
      try {
        openRun(SPEC, deps(), { runsDir, runId: 'r2' });
      } catch (err) {
        expect(err).toBeInstanceOf(ConflictError);
        message = (err as Error).message;
      }
      expect(message).toMatch(
        new RegExp(`Run r2 is being written by another Loupe process \\(PID ${pid}, since 2026-12-01T10:00:00.000Z\\)`),
      );
      expect(message).toMatch(/wait for it to finish or stop it/);

      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      const info = await runBatch(SPEC, deps(), new AbortController().signal, () => {}, { runsDir, runId: 'r2' });
      expect(info).toMatchObject({ state: 'finished', done: 8 });
    },
  );

  it.runIf(process.platform === 'linux')('treats a live PID with another start time as a reused PID, so the lock is stale', async () => {
    child = await startSleeper();
    writeForeignLock(join(runsDir, 'r3'), { pid: child.pid!, host: hostname(), processStart: '1' });
    const info = await runBatch(SPEC, deps(), new AbortController().signal, () => {}, { runsDir, runId: 'r3' });
    expect(info.state).toBe('finished');
  });

  it('never takes a lock held on another host, and says how to clear it', () => {
    writeForeignLock(join(runsDir, 'r4'), { pid: 4242, host: 'node-17.cluster' });
    expect(() => openRun(SPEC, deps(), { runsDir, runId: 'r4' })).toThrow(
      /Run r4 is being written by process 4242 on host node-17\.cluster .*delete .*run\.lock and run again/,
    );
  });

  it('replaces an unreadable lock file (a torn write) as stale', async () => {
    mkdirSync(join(runsDir, 'r5'), { recursive: true });
    writeFileSync(join(runsDir, 'r5', LOCK_FILE), '{"pid": 12');
    const info = await runBatch(SPEC, deps(), new AbortController().signal, () => {}, { runsDir, runId: 'r5' });
    expect(info.done).toBe(8);
  });

  it('releases the lock when the open is refused for another reason (a resume with other settings)', async () => {
    await runBatch(SPEC, deps(), new AbortController().signal, () => {}, { runsDir, runId: 'r6' });
    expect(() => openRun({ ...SPEC, maxNewTokens: 4 }, deps(), { runsDir, runId: 'r6' })).toThrow(/different settings/);
    expect(existsSync(join(runsDir, 'r6', LOCK_FILE))).toBe(false);
  });

  it('only removes its own lock file on release', () => {
    const dir = join(runsDir, 'r7');
    mkdirSync(dir);
    const lock = RunLock.acquire(dir, 'r7');
    writeForeignLock(dir, { pid: 999999, host: 'elsewhere' });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
