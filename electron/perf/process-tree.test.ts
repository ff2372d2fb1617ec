// The resident-memory sampler the full-size benches use to tell anonymous memory from mapped files.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleResident, treePids } from './process-tree.js';

const linux = process.platform === 'linux';

describe.runIf(linux)('sampleResident', () => {
  it('sees 64 MiB of touched anonymous memory in the anonymous peak, not in the mapped files', async () => {
    const resident = sampleResident(() => [process.pid], 10);
    const before = resident.stop();
    const again = sampleResident(() => [process.pid], 10);
    const block = new Uint8Array(64 * 1024 ** 2).fill(7); // fill touches every page
    await new Promise((r) => setTimeout(r, 50));
    const peaks = again.stop();
    expect(block[block.length - 1]).toBe(7);
    expect(peaks.anonBytes - before.anonBytes).toBeGreaterThan(48 * 1024 ** 2);
    expect(peaks.rssBytes).toBeGreaterThanOrEqual(peaks.anonBytes);
    expect(peaks.fileBytes).toBeLessThan(peaks.rssBytes);
  });

  it('sums a child process and finds it among the descendants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-tree-'));
    try {
      const script = join(dir, 'hold.mjs');
      writeFileSync(script, 'const b = new Uint8Array(32 * 1024 ** 2).fill(1); setTimeout(() => console.log(b[0]), 3000);\n');
      const child = spawn(process.execPath, [script], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 800));
      const kids = treePids(process.pid).filter((p) => p !== process.pid);
      expect(kids).toContain(child.pid);
      const peaks = sampleResident(() => kids, 10).stop();
      child.kill();
      expect(peaks.anonBytes).toBeGreaterThan(32 * 1024 ** 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
