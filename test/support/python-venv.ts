// The project's Python environment for tests that check TypeScript against a Python reference. The
// venv is native-models/setup-venv.sh's (LOUPE_VENV, else <repo>/.venv); it is created by the install
// step, so a missing venv is an installation error that fails the test, never a reason to skip it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const NATIVE_MODELS = join(REPO_ROOT, 'native-models');

/** The venv's python; throws with what to run when the venv is missing. */
export function venvPython(): string {
  const venv = process.env.LOUPE_VENV ?? join(REPO_ROOT, '.venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`No Python environment at ${venv}: run native-models/setup-venv.sh (bash .ci/install does) before the tests.`);
  }
  return python;
}

/** Runs `python -m module` in native-models/ with JSON on stdin and returns its JSON stdout. */
export function runPythonModule<T>(module: string, input: unknown, timeoutMs = 120_000): T {
  const out = spawnSync(venvPython(), ['-m', module], {
    cwd: NATIVE_MODELS,
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
  });
  if (out.status !== 0) throw new Error(`python -m ${module} failed (${out.status ?? out.signal}):\n${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

/** Runs a Python snippet (`python -c code args...`) with the venv; returns its stdout. */
export function runPython(code: string, args: readonly string[] = [], timeoutMs = 120_000): string {
  const out = spawnSync(venvPython(), ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs });
  if (out.status !== 0) throw new Error(`python -c failed (${out.status ?? out.signal}):\n${out.stderr}`);
  return out.stdout;
}
