// The project's Python (native-models/setup-venv.sh: $LOUPE_VENV, else <repo>/.venv) for tests that check
// Loupe's files with the tools researchers load them with (numpy). Creates the venv when it is missing,
// as `npm run test:python` does.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function projectPython(): string {
  const venv = process.env.LOUPE_VENV ?? join(ROOT, '.venv');
  const python = join(venv, 'bin/python');
  if (existsSync(python)) return python;
  const made = execFileSync('bash', [join(ROOT, 'native-models/setup-venv.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  return join(made, 'bin/python');
}

/** Runs a Python snippet with the project's venv; returns its stdout. */
export function runPython(code: string, args: readonly string[] = []): string {
  return execFileSync(projectPython(), ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
