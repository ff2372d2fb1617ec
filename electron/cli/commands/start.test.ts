import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHandlerDouble } from '../../transport/testing/engine-double.js';
import { EXIT } from '../exit-codes.js';
import { contextDouble } from '../testing/context-double.js';
import { probeElectron, runStart } from './start.js';

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => get(url, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
}

async function waitForUrl(read: () => string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(read());
    if (m) return m[0];
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no URL printed: ${read()}`);
}

describe('npm start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-start-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>renderer</title>');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says why Electron is unavailable, then serves the web mode and prints the URL', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    const done = runStart(['--renderer', dir], ctx, {
      probe: () => ({ ok: false, reason: 'the electron package cannot locate its binary (Electron failed to install correctly)' }),
    });
    const url = await waitForUrl(ctx.stdout);
    expect(ctx.stdout()).toMatch(/^Electron is not available: the electron package cannot locate its binary/);
    expect(ctx.stdout()).toMatch(/Starting the web mode instead/);
    expect(await status(url)).toBe(200);
    expect(await status(url.replace(/\?token=.*/, ''))).toBe(401);
    ctx.abort();
    expect(await done).toBe(EXIT.ok);
  });

  it('launches the desktop app when the binary is there', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    let launched = '';
    let built: string[] = [];
    const code = await runStart([], ctx, {
      probe: () => ({ ok: true, binary: '/opt/electron' }),
      launch: async (b) => {
        launched = b;
        return 0;
      },
      build: async (targets) => {
        built = targets.map((t) => t.what);
      },
    });
    expect(code).toBe(0);
    expect(launched).toBe('/opt/electron');
    expect(built).toEqual(['the renderer (dist/renderer)', 'the desktop shell (dist/electron)']);
  });

  it('probes this machine without throwing and gives a reason when there is no binary', () => {
    const probe = probeElectron();
    // Either outcome is a valid machine; each must carry what the caller needs.
    expect(probe.ok ? probe.binary.length > 0 : /electron|display|binary/i.test(probe.reason)).toBe(true);
  });
});
