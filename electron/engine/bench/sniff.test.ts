import { describe, expect, it } from 'vitest';
import { notAnImageReason, sniffImage } from './sniff.js';

const bytes = (...b: number[]) => Uint8Array.from([...b, ...new Array<number>(16).fill(0)]);

describe('sniffImage', () => {
  it('knows the formats the engine decodes', () => {
    expect(sniffImage(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(sniffImage(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a))).toBe('png');
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
  });
  it('says why other bytes are not an image', () => {
    expect(notAnImageReason(new Uint8Array(0))).toBe('empty (0 bytes)');
    expect(notAnImageReason(new TextEncoder().encode('this is not a JPEG at all'))).toMatch(/starts with bytes 74 68 69 73/);
    expect(notAnImageReason(bytes(0xff, 0xd8, 0xff))).toBeUndefined();
  });
});
