// `npm start` right after install must open a working app, but the renderer (and, for the desktop
// window, the Electron bundle) is a build output. From a checkout, start and serve therefore build what
// is missing or older than its sources before serving it. A packaged app ships its builds and no
// sources, so there is nothing to check.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CliContext } from './io.js';

/** Newest modification time under these paths (files or folders, recursively), 0 when none exist. */
export function newestMtime(paths: readonly string[]): number {
  let newest = 0;
  const visit = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) if (entry !== 'node_modules') visit(join(p, entry));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
}

export interface BuildTarget {
  /** What the user is told is being built. */
  what: string;
  /** The build's main output: missing or older than the sources means rebuild. */
  output: string;
  sources: string[];
  /** Node script and arguments that build it, run from the root. */
  command: string[];
}

export function rendererTarget(root: string): BuildTarget {
  return {
    what: 'the renderer (dist/renderer)',
    output: join(root, 'dist', 'renderer', 'index.html'),
    // What the Vite bundle includes: the renderer and the browser-safe parts of electron/.
    sources: [
      join(root, 'renderer'),
      join(root, 'electron', 'contract'),
      join(root, 'electron', 'engine', 'metrics'),
      join(root, 'electron', 'transport'),
      join(root, 'vite.config.ts'),
    ],
    command: [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
  };
}

export function desktopTarget(root: string): BuildTarget {
  return {
    what: 'the desktop shell (dist/electron)',
    output: join(root, 'dist', 'electron', 'main.js'),
    sources: [join(root, 'electron')],
    command: [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'electron', 'build', 'bundle.ts')],
  };
}

/** Why the target needs building, or undefined when its output is current (or there are no sources). */
export function staleReason(target: BuildTarget): string | undefined {
  const sourceTime = newestMtime(target.sources);
  if (sourceTime === 0) return undefined; // packaged app: no sources to build from
  if (!existsSync(target.output)) return 'it is not built yet';
  return statSync(target.output).mtimeMs < sourceTime ? 'its sources changed since the last build' : undefined;
}

function run(command: string[], cwd: string, ctx: CliContext): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    const stop = (): void => void child.kill('SIGTERM');
    ctx.signal.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('exit', (code) => {
      ctx.signal.removeEventListener('abort', stop);
      resolve(code ?? 1);
    });
  });
}

/** Builds each stale target in turn, saying so; throws when a build fails (its own output says why). */
export async function buildIfStale(targets: readonly BuildTarget[], root: string, ctx: CliContext): Promise<void> {
  for (const target of targets) {
    const reason = staleReason(target);
    if (reason === undefined) continue;
    if (!existsSync(target.command[0])) {
      throw new Error(`Cannot build ${target.what} (${reason}): ${target.command[0]} is missing. Run \`npm install\` first.`);
    }
    ctx.io.err(`Building ${target.what}: ${reason}. This takes a few seconds...\n`);
    const code = await run(target.command, root, ctx);
    if (code !== 0) throw new Error(`Building ${target.what} failed (exit code ${code}); the lines above say why.`);
  }
}
