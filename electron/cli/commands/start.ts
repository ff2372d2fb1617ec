// `npm start` (= `loupe start`): the desktop window when the Electron binary is installed, otherwise
// the web mode with a message that says why. Electron's npm package downloads its binary on install;
// offline or with install scripts disabled the binary is missing and `require('electron')` throws.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appRoot } from '../app-root.js';
import { EXIT } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { buildIfStale, desktopTarget, rendererTarget, type BuildTarget } from '../build-on-start.js';
import { runServe } from './serve.js';

export type ElectronProbe = { ok: true; binary: string } | { ok: false; reason: string };

/** Where the Electron binary is, or why there is none. */
export function probeElectron(): ElectronProbe {
  let binary: unknown;
  try {
    // In plain Node, the `electron` package's main export is the path of the binary.
    binary = createRequire(import.meta.url)('electron');
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, reason: `the electron package cannot locate its binary (${message})` };
  }
  if (typeof binary !== 'string') return { ok: false, reason: 'the electron package did not return a binary path' };
  if (!existsSync(binary)) return { ok: false, reason: `the Electron binary ${binary} is missing (its download did not happen)` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { ok: true, binary };
}

export interface StartDeps {
  probe?: () => ElectronProbe;
  /** Runs the desktop app; default: spawn Electron on the built main process. */
  launch?: (binary: string) => Promise<number>;
  /** Builds what is stale before launching; default: buildIfStale on the checkout. */
  build?: (targets: BuildTarget[]) => Promise<void>;
}

async function launchElectron(binary: string, ctx: CliContext): Promise<number> {
  const root = appRoot();
  if (!existsSync(join(root, 'dist', 'electron', 'main.js'))) {
    ctx.io.err('The desktop shell is not built: run `npm run build` first (it bundles dist/electron and dist/renderer).\n');
    return EXIT.unavailable;
  }
  const child = spawn(binary, [root], { stdio: 'inherit' });
  ctx.signal.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? EXIT.ok)));
}

export async function runStart(argv: string[], ctx: CliContext, deps: StartDeps = {}): Promise<number> {
  const probe = (deps.probe ?? probeElectron)();
  if (probe.ok) {
    const root = appRoot();
    await (deps.build ?? ((targets) => buildIfStale(targets, root, ctx)))([rendererTarget(root), desktopTarget(root)]);
    return (deps.launch ?? ((b) => launchElectron(b, ctx)))(probe.binary);
  }
  const preface =
    `Electron is not available: ${probe.reason}.\n` +
    'Starting the web mode instead (the same app in your browser). To get the desktop window, run\n' +
    '`node node_modules/electron/install.js` with network access, then `npm run build && npm start`.\n\n';
  return runServe(argv, ctx, preface);
}
