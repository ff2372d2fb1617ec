import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHandlerDouble } from '../transport/testing/engine-double.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './main.js';
import { contextDouble } from './testing/context-double.js';

describe('loupe CLI (in-process, engine test double)', () => {
  let dir: string;
  let image: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-cli-'));
    image = join(dir, 'img.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 40, g: 80, b: 120 } } })
      .png()
      .toFile(image);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help and exits 2 without a command, 0 with --help', async () => {
    const none = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli([], none)).toBe(EXIT.usage);
    expect(none.stdout()).toMatch(/Usage: loupe <command>/);
    const help = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['bench', '--help'], help)).toBe(EXIT.ok);
    expect(help.stdout()).toMatch(/--shard i\/n/);
  });

  it('exits 2 on an unknown command or a bad option', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['frob'], ctx)).toBe(EXIT.usage);
    expect(ctx.stderr()).toMatch(/unknown command "frob"/);
    expect(await runCli(['inspect', image, 'q', '--box', '1,2'], ctx)).toBe(EXIT.usage);
  });

  it('exits 3 when the image does not exist, with a JSON error under --json', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['inspect', join(dir, 'missing.png'), 'q', '--json'], ctx)).toBe(EXIT.notFound);
    const err = JSON.parse(ctx.stdout()) as { error: { exitCode: number; message: string } };
    expect(err.error.exitCode).toBe(EXIT.notFound);
    expect(err.error.message).toMatch(/missing\.png/);
  });

  it('maps engine error codes to exit codes (invalid model -> 4, unknown model name -> 3)', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['inspect', image, 'q', '--model', join(dir)], ctx)).toBe(EXIT.invalidModel);
    expect(ctx.stderr()).toMatch(/test double only has/);
    expect(await runCli(['inspect', image, 'q', '--model', 'no-such-model'], ctx)).toBe(EXIT.notFound);
    expect(ctx.stderr()).toMatch(/Known models/);
  });

  it('inspect --json reports answer, coverage per layer and writes the overlay PNG', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    const out = join(dir, 'overlay.png');
    expect(await runCli(['inspect', image, 'What colour?', '--box', '0,0,32,32', '--out', out, '--json'], ctx)).toBe(EXIT.ok);
    const report = JSON.parse(ctx.stdout()) as {
      answer: string;
      layer: number;
      coverage: { paper: number; area: number };
      coverageByLayer: Record<string, unknown>;
      overlay: string;
    };
    expect(report.answer).toBe('A');
    expect(report.layer).toBe(2);
    // On the double's 2x2 grid the paper's inclusive cell range covers every cell (its documented quirk);
    // area-exact coverage is the top-left cell's share only.
    expect(report.coverage.paper).toBeCloseTo(1);
    expect(report.coverage.area).toBeGreaterThan(0);
    expect(report.coverage.area).toBeLessThan(0.5);
    expect(Object.keys(report.coverageByLayer)).toEqual(['1', '2']);
    const meta = await sharp(report.overlay).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([64, 64, 'png']);
  });

  it("inspect --max-pixels plans the engine's load for that budget (the memory guard checks the load at it)", async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['inspect', image, 'What colour?', '--max-pixels', '200704', '--no-overlay', '--json'], ctx)).toBe(EXIT.ok);
    expect(ctx.opened).toEqual([{ maxPixels: 200704 }]);
    const plain = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['inspect', image, 'What colour?', '--no-overlay', '--json'], plain)).toBe(EXIT.ok);
    expect(plain.opened).toEqual([{}]);
  });

  it('inspect prints a readable report without --json', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    expect(await runCli(['inspect', image, 'What colour?', '--no-overlay'], ctx)).toBe(EXIT.ok);
    expect(ctx.stdout()).toMatch(/answer\s+A/);
    expect(ctx.stdout()).toMatch(/pass --box/);
  });

  it('routes tap to electron/tap or says it is unavailable (exit 7)', async () => {
    const ctx = contextDouble(new EngineHandlerDouble(), dir);
    const code = await runCli(['tap', '--help'], ctx);
    expect([EXIT.ok, EXIT.unavailable]).toContain(code);
  });
});
