import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BadRequestError, InvalidImageError, NotFoundError } from '../errors.js';
import { cropImage, pixelRect } from './crop.js';
import { decodeImage, encodeForDisplay } from './decode.js';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A valid small PNG whose header claims other dimensions: probing sees the claim, decoding would fail. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('decodeImage', () => {
  it('decodes to RGB, dropping alpha', async () => {
    const bytes = await sharp({ create: { width: 7, height: 5, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const img = await decodeImage({ name: 'a.png', bytes });
    expect([img.width, img.height, img.rgb.length]).toEqual([7, 5, 7 * 5 * 3]);
    expect(Array.from(img.rgb.subarray(0, 3))).toEqual([10, 20, 30]);
  });

  it('converts greyscale to three channels', async () => {
    const bytes = await sharp({ create: { width: 3, height: 3, channels: 3, background: '#404040' } })
      .greyscale()
      .png()
      .toBuffer();
    const img = await decodeImage({ name: 'g.png', bytes });
    expect(img.rgb.length).toBe(27);
  });

  it('names the file when it is not an image', async () => {
    const err = await decodeImage({ name: 'notes.txt', bytes: Buffer.from('hello, not an image') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImageError);
    expect((err as InvalidImageError).file).toBe('notes.txt');
    expect((err as Error).message).toContain('notes.txt');
  });

  it('names the file when it is truncated', async () => {
    const full = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#a03020' } })
      .jpeg()
      .toBuffer();
    const dir = mkdtempSync(join(tmpdir(), 'loupe-img-'));
    const path = join(dir, 'cut.jpg');
    writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
    const err = await decodeImage({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImageError);
    expect((err as InvalidImageError).file).toBe(path);
  });

  it('refuses images over 100 megapixels before decoding', async () => {
    const bytes = await pngClaiming(12000, 9000);
    const err = await decodeImage({ name: 'huge.png', bytes }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImageError);
    expect((err as Error).message).toMatch(/huge\.png is 12000x9000 \(108\.0 megapixels\)/);
  });

  it('reports a missing file as not-found', async () => {
    const err = await decodeImage({ path: '/nonexistent/x.jpg' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).file).toBe('/nonexistent/x.jpg');
  });

  it('encodes oriented display bytes with oriented sizes', async () => {
    const bytes = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#00ff00' } })
      .jpeg()
      .withMetadata({ orientation: 8 })
      .toBuffer();
    const out = await encodeForDisplay({ name: 'r.jpg', bytes });
    expect([out.mime, out.width, out.height]).toEqual(['image/jpeg', 20, 30]);
    const meta = await sharp(out.bytes).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([20, 30, 1]);
  });
});

describe('crop', () => {
  it('rounds a fractional box outwards and clamps it', () => {
    expect(pixelRect([10.4, 5.6, 20.2, 30.9], 100, 50)).toEqual([10, 5, 21, 31]);
    expect(pixelRect([-5, -5, 500, 500], 100, 50)).toEqual([0, 0, 100, 50]);
  });

  it('refuses a box outside the image', () => {
    expect(() => pixelRect([200, 10, 300, 20], 100, 50)).toThrow(BadRequestError);
  });

  it('cuts the pixels of the box', async () => {
    const bytes = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 10, height: 10, channels: 3, background: '#ffffff' } }, left: 20, top: 10 }])
      .png()
      .toBuffer();
    const img = await decodeImage({ name: 'c.png', bytes });
    const { image, rect } = await cropImage(img, [20, 10, 30, 20]);
    expect(rect).toEqual([20, 10, 30, 20]);
    expect([image.width, image.height]).toEqual([10, 10]);
    expect(Math.min(...image.rgb)).toBe(255);
  });
});
