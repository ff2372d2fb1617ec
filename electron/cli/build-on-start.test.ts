import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineHandlerDouble } from '../transport/testing/engine-double.js';
import { buildIfStale, staleReason, type BuildTarget } from './build-on-start.js';
import { contextDouble } from './testing/context-double.js';

function setup(): { root: string; target: BuildTarget } {
  const root = mkdtempSync(join(tmpdir(), 'loupe-build-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'a.ts'), 'export {};');
  const script = join(root, 'build.mjs');
  writeFileSync(
    script,
    `import { mkdirSync, writeFileSync } from 'node:fs'; mkdirSync('out', { recursive: true }); writeFileSync('out/index.html', 'built');`,
  );
  return {
    root,
    target: { what: 'the test bundle', output: join(root, 'out', 'index.html'), sources: [join(root, 'src')], command: [script] },
  };
}

const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

describe('build on start', () => {
  it('knows when the output is missing, current, or older than a source', () => {
    const { root, target } = setup();
    expect(staleReason(target)).toBe('it is not built yet');
    mkdirSync(join(root, 'out'));
    writeFileSync(target.output, 'x');
    at(join(root, 'src', 'a.ts'), 1_000);
    at(target.output, 2_000);
    expect(staleReason(target)).toBeUndefined();
    at(join(root, 'src', 'a.ts'), 3_000);
    expect(staleReason(target)).toBe('its sources changed since the last build');
  });

  it('treats a tree without sources (a packaged app) as built', () => {
    const { target } = setup();
    expect(staleReason({ ...target, sources: ['/nonexistent/renderer'] })).toBeUndefined();
  });

  it('builds what is stale, says so, and skips it the next time', async () => {
    const { root, target } = setup();
    const ctx = contextDouble(new EngineHandlerDouble(), root);
    await buildIfStale([target], root, ctx);
    expect(existsSync(target.output)).toBe(true);
    expect(ctx.stderr()).toMatch(/^Building the test bundle: it is not built yet\./);
    const ctx2 = contextDouble(new EngineHandlerDouble(), root);
    await buildIfStale([target], root, ctx2);
    expect(ctx2.stderr()).toBe('');
  });

  it('fails with the exit code when the build fails', async () => {
    const { root, target } = setup();
    writeFileSync(target.command[0], 'process.exit(3);');
    await expect(buildIfStale([target], root, contextDouble(new EngineHandlerDouble(), root))).rejects.toThrow(/failed \(exit code 3\)/);
  });
});
