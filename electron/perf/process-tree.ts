// Peak resident memory of a child process and all its descendants, sampled from /proc (Linux). Each
// sample sums VmRSS over the tree (a worker pool or a Python process that forks counts in full); the
// peak is the largest sum seen, so a spike shorter than the interval can be missed: the benches also
// take the child's own getrusage peak where it reports one, and keep the larger.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      // the task ended between listing and reading
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of `pid` and every descendant, in bytes. */
export function treeRss(pid: number): number {
  let total = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length) {
    const p = stack.pop() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    total += rssBytes(p);
    stack.push(...children(p));
  }
  return total;
}

export interface TreeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Largest sampled sum of VmRSS over the process tree, bytes. */
  peakTreeRssBytes: number;
}

/** Runs a command, sampling its process tree's RSS every `intervalMs`. */
export function runSampled(
  cmd: string,
  args: string[],
  options: { cwd: string; intervalMs?: number; env?: NodeJS.ProcessEnv },
): Promise<TreeRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      if (child.pid !== undefined) peak = Math.max(peak, treeRss(child.pid));
    }, options.intervalMs ?? 100);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolvePromise({ code, stdout, stderr, wallMs: performance.now() - started, peakTreeRssBytes: peak });
    });
  });
}
