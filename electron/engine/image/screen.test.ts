import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidImageError } from '../errors.js';
import { EngineHost } from '../host/index.js';
import { screenImage } from './screen.js';

const rgb = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#46a' } });

async function problem(bytes: Uint8Array): Promise<string> {
  const err = await screenImage(bytes, 'x.img').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidImageError);
  return (err as InvalidImageError).problem;
}

describe('screenImage (bench import)', () => {
  it('passes whole images and gives their stored size', async () => {
    expect(await screenImage(await rgb(30, 20).jpeg().toBuffer(), 'a.jpg')).toEqual({ width: 30, height: 20 });
    expect(await screenImage(await rgb(30, 20).png().toBuffer(), 'a.png')).toEqual({ width: 30, height: 20 });
  });

  it('refuses empty, foreign, truncated and over-200:1 images with the cause', async () => {
    expect(await problem(new Uint8Array(0))).toBe('empty (0 bytes)');
    expect(await problem(Buffer.from('hello, not an image'))).toMatch(/^not a readable image/);
    const jpg = await rgb(300, 200).jpeg().toBuffer();
    expect(await problem(jpg.subarray(0, jpg.length - 200))).toMatch(/^truncated: the JPEG data stops/);
    const png = await rgb(300, 200).png().toBuffer();
    expect(await problem(png.subarray(0, png.length - 20))).toMatch(/^truncated: the PNG data stops/);
    expect(await problem(await rgb(2010, 10).png().toBuffer())).toMatch(/aspect ratio 201\.0:1 is over the 200:1/);
  });
});

describe('images.check (opening one image)', () => {
  it('decodes fully: a truncated file is refused naming the file; a good one answers its size in the protocol frame', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-check-'));
    const host = new EngineHost({ resourcesDir: join(dir, 'none'), runsDir: join(dir, 'runs') });
    const signal = new AbortController().signal;
    const jpg = await rgb(300, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    writeFileSync(join(dir, 'cut.jpg'), jpg.subarray(0, jpg.length - 300));
    writeFileSync(join(dir, 'ok.jpg'), jpg);
    const err = await host
      .handle('images.check', { source: { kind: 'path', path: join(dir, 'cut.jpg') } }, signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImageError);
    expect((err as Error).message).toContain(join(dir, 'cut.jpg'));
    const hf = await host.handle('images.check', { source: { kind: 'path', path: join(dir, 'ok.jpg') }, protocol: 'hf' }, signal);
    expect([hf.width, hf.height]).toEqual([200, 300]);
    const paper = await host.handle('images.check', { source: { kind: 'path', path: join(dir, 'ok.jpg') }, protocol: 'paper' }, signal);
    expect([paper.width, paper.height]).toEqual([300, 200]);
    expect(paper.warnings.join(' ')).toMatch(/EXIF orientation 6 is ignored under the paper protocol/);
    await host.dispose();
  });
});
