import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader } from './wire.js';

describe('worker frames', () => {
  it('round-trip a header and typed arrays, whatever the chunking of the stream', () => {
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i);
    const attention = Float32Array.from([0.25, 0.5, 1e-7, 3]);
    const bytes = encodeFrame(
      { id: 7, method: 'analyze' },
      { rgb: { dtype: 'uint8', shape: [2, 3, 3], data: rgb }, attention: { dtype: 'float32', shape: [1, 1, 1, 4], data: attention } },
    );
    const twice = Buffer.concat([bytes, bytes]);
    for (const step of [1, 5, 64, twice.length]) {
      const reader = new FrameReader();
      const frames = [];
      for (let i = 0; i < twice.length; i += step) frames.push(...reader.push(twice.subarray(i, i + step)));
      expect(frames).toHaveLength(2);
      for (const f of frames) {
        expect(f.header['id']).toBe(7);
        expect(Array.from(f.blobs['rgb']?.data as Uint8Array)).toEqual(Array.from(rgb));
        expect(Array.from(f.blobs['attention']?.data as Float32Array)).toEqual(Array.from(attention));
        expect(f.blobs['attention']?.shape).toEqual([1, 1, 1, 4]);
      }
    }
  });

  it('refuses a blob whose size disagrees with its shape', () => {
    const head = Buffer.from(JSON.stringify({ id: 1, blobs: [{ name: 'x', dtype: 'float32', shape: [3], nbytes: 8 }] }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length, 0);
    expect(() => new FrameReader().push(Buffer.concat([len, head, Buffer.alloc(8)]))).toThrow(/blob x has 8 bytes, not shape 3 of float32/);
  });
});
