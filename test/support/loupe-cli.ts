// The `loupe` bin as a researcher runs it: a real process (bin/loupe.js through tsx), its output collected.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../integration/fixtures.js';

export const LOUPE_BIN = join(ROOT, 'bin/loupe.js');

export interface LoupeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `loupe ARGS` in `cwd` with `env` over this process's environment and resolves when it exits. */
export function runLoupe(args: string[], cwd: string, env: Record<string, string> = {}): Promise<LoupeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOUPE_BIN, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
