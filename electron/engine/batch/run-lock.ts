// One writer per run folder. Two processes appending to the same results.jsonl (a rerun while the
// first is still going, or the app and the CLI at once) would each compute the same missing keys and
// write them twice. The writer therefore holds <run>/run.lock, created exclusively (O_EXCL), holding
// its PID, host and process start time. A lock whose holder is gone (kill -9, a crash, a reboot) is
// stale: the next writer on the same host detects that and takes it over. A lock from another host
// cannot be checked from here and is reported instead of taken.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../errors.js';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** Process start time from /proc (Linux), to tell a reused PID from the holder; absent elsewhere. */
  processStart?: string;
  since: string;
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot, unique per PID lifetime. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote this lock still runs (same host only). */
export function holderAlive(holder: LockHolder): boolean {
  if (!isAlive(holder.pid)) return false;
  if (holder.processStart === undefined) return true;
  const start = processStart(holder.pid);
  return start === undefined || start === holder.processStart;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string') return value as LockHolder;
  } catch {
    // torn or foreign file: treated as stale below
  }
  return undefined;
}

/** The live process writing this run folder, if any (another host's lock counts as live: it cannot be checked). */
export function liveHolder(runDir: string): LockHolder | undefined {
  const holder = readHolder(join(runDir, LOCK_FILE));
  if (!holder) return undefined;
  if (holder.host !== hostname()) return holder;
  return holderAlive(holder) ? holder : undefined;
}

export class RunLock {
  private released = false;

  private constructor(readonly path: string) {}

  /**
   * Takes the lock of a run folder or throws ConflictError naming the holder. A stale lock (holder gone,
   * or an unreadable lock file) is replaced.
   */
  static acquire(runDir: string, runId: string): RunLock {
    const path = join(runDir, LOCK_FILE);
    const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    const start = processStart(process.pid);
    if (start !== undefined) me.processStart = start;
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readHolder(path);
        if (holder && holder.host !== me.host) {
          throw new ConflictError(
            `Run ${runId} is being written by process ${holder.pid} on host ${holder.host} (since ${holder.since}). ` +
              `Wait for it to finish; if that process is gone, delete ${path} and run again.`,
            { file: path },
          );
        }
        if (holder && holder.pid === process.pid && holderAlive(holder)) {
          throw new ConflictError(`Run ${runId} is already being written by this process.`, { file: path });
        }
        if (holder && holderAlive(holder)) {
          throw new ConflictError(
            `Run ${runId} is being written by another Loupe process (PID ${holder.pid}, since ${holder.since}): ` +
              'wait for it to finish or stop it, then run again (it resumes where that process stopped).',
            { file: path },
          );
        }
        // Stale: the holder died without releasing. Remove and try again (another taker may race us;
        // the exclusive create decides).
        try {
          unlinkSync(path);
        } catch {
          // someone else removed it first
        }
        continue;
      }
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      return new RunLock(path);
    }
    throw new ConflictError(`Could not take the lock of run ${runId} (${path}): other processes keep taking it.`, { file: path });
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    // Only remove our own lock: a lock file replaced by a stale-lock taker is not ours any more.
    const holder = readHolder(this.path);
    if (holder && holder.pid === process.pid && holder.host === hostname()) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}
