// The README's first command on a clean copy of the checkout: `bash .ci/install && npm start` must leave
// a working app. The copy holds what a fresh clone holds (tracked and new, non-ignored files: no
// node_modules, no dist); the install runs for real. Only the Python environment is shared with this
// checkout (LOUPE_VENV), because building torch into a second venv would add minutes and test nothing
// about the app. Without a display (and offline, without Electron's binary) start falls back to the
// web mode, which must serve the built app, answer a bench item and show it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppPage } from './pages/AppPage.js';
import { InspectPage } from './pages/InspectPage.js';
import { openSession } from './support/browser.js';
import { ROOT } from './support/loupe.js';

const venv = process.env.LOUPE_VENV ?? join(ROOT, '.venv');

function cleanCopy(): string {
  const dest = mkdtempSync(join(tmpdir(), 'loupe-clone-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const rel of listed.stdout.split('\0').filter(Boolean)) {
    const from = join(ROOT, rel);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    copyFileSync(from, join(dest, rel));
  }
  return dest;
}

describe('first start on a fresh copy', () => {
  let dir: string;
  let app: ChildProcess | undefined;
  let stdout = '';

  beforeAll(() => {
    dir = cleanCopy();
  });
  afterAll(async () => {
    if (app && app.exitCode === null && app.pid !== undefined) {
      // bash, npm and node form a process group: stop them all, as Ctrl-C in a terminal would.
      const exited = new Promise((r) => app!.once('exit', r));
      process.kill(-app.pid, 'SIGINT');
      const late = setTimeout(() => process.kill(-app!.pid!, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('bash .ci/install && npm start serves the built app, which answers a bench item', async () => {
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    const env: NodeJS.ProcessEnv = { ...process.env, LOUPE_VENV: venv, LOUPE_RUNS_DIR: join(dir, 'runs') };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    app = spawn('bash', ['-c', 'bash .ci/install && npm start'], { cwd: dir, env, detached: true });
    let stderr = '';
    app.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    app.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL after 10 min.\nstdout: ${stdout}\nstderr: ${stderr}`)), 600_000);
      app!.once('exit', (code) => reject(new Error(`exited with ${code} before serving.\nstdout: ${stdout}\nstderr: ${stderr}`)));
      app!.stdout!.on('data', () => {
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
    });
    expect(stdout).toMatch(/install: done/);
    expect(stdout).toMatch(/Electron is not available: /);
    expect(existsSync(join(dir, 'dist', 'renderer', 'index.html'))).toBe(true);

    const s = await openSession();
    // The app under test has just been installed and built on a busy machine: allow it time.
    s.page.setDefaultTimeout(120_000);
    try {
      const shell = new AppPage(s.page);
      await shell.open(url);
      const inspect = new InspectPage(s.page);
      await inspect.pickBenchItem('test-3000000');
      await inspect.run();
      expect((await inspect.answer()).length).toBeGreaterThan(0);
      await s.screenshot('first-start-answered');
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  }, 900_000);
});
