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

/** Resident memory of one process: all of it, its anonymous part and its file-backed part (mapped files). */
interface ResidentBytes {
  rss: number;
  anon: number;
  file: number;
}

function residentBytes(pid: number): ResidentBytes {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
  const kb = (field: string): number => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** `pid` and every descendant. */
export function treePids(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length) {
    const p = stack.pop() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    stack.push(...children(p));
  }
  return out;
}

/** RSS of `pid` and every descendant, in bytes. */
export function treeRss(pid: number): number {
  return treePids(pid).reduce((n, p) => n + residentBytes(p).rss, 0);
}

/** The peaks a sampling run saw, as the bench results store them (bytes). */
export interface ResidentPeak {
  rssBytes: number;
  anonBytes: number;
  fileBytes: number;
}

/**
 * Samples the summed resident memory of a changing set of processes (a worker started later, the bench
 * process itself) and keeps each figure's peak. The anonymous peak is what the memory guard predicts:
 * a checkpoint's safetensors are memory-mapped while an fp32 copy is built from them, so for a while the
 * mapped files' pages count in the RSS too, although the kernel can drop them rather than kill anything.
 */
export function sampleResident(pids: () => number[], intervalMs = 100): { stop(): ResidentPeak } {
  const peak: ResidentBytes = { rss: 0, anon: 0, file: 0 };
  const sample = (): void => {
    const sum = pids().reduce(
      (a, p) => {
        const r = residentBytes(p);
        return { rss: a.rss + r.rss, anon: a.anon + r.anon, file: a.file + r.file };
      },
      { rss: 0, anon: 0, file: 0 },
    );
    peak.rss = Math.max(peak.rss, sum.rss);
    peak.anon = Math.max(peak.anon, sum.anon);
    peak.file = Math.max(peak.file, sum.file);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { rssBytes: peak.rss, anonBytes: peak.anon, fileBytes: peak.file };
    },
  };
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
