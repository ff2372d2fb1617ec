import { describe, expect, it } from 'vitest';
import { crc32, f32, npyBytes, npzBytes, str } from './npy.js';

describe('npy', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
  it('writes a version 1.0 header padded to 64 bytes, then the little-endian data', () => {
    const b = npyBytes(f32([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(Array.from(b.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = b[8] | (b[9] << 8);
    expect((10 + hlen) % 64).toBe(0);
    const header = new TextDecoder().decode(b.subarray(10, 10 + hlen));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    expect(Array.from(new Float32Array(b.slice(10 + hlen).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('writes strings as fixed-width UTF-32 and 0-d arrays with shape ()', () => {
    const b = npyBytes(str(['ab', '✓'], [2]));
    const hlen = b[8] | (b[9] << 8);
    expect(new TextDecoder().decode(b.subarray(10, 10 + hlen))).toContain("'descr': '<U2'");
    expect(Array.from(new Uint32Array(b.slice(10 + hlen).buffer))).toEqual([97, 98, 0x2713, 0]);
    const scalar = npyBytes(str(['x'], []));
    expect(new TextDecoder().decode(scalar)).toContain("'shape': ()");
  });
  it('refuses data that does not fill the shape and names that are not identifiers', () => {
    expect(() => npyBytes(f32([1, 2, 3], [2, 2]))).toThrow(/3 values for shape \(2, 2\)/);
    expect(() => npzBytes({ 'a-b': f32([1]) })).toThrow(/not a valid array name/);
  });
  it('archives each array as <name>.npy with a central directory', () => {
    const z = npzBytes({ a: f32([1]), b: f32([2, 3]) });
    const v = new DataView(z.buffer);
    expect(v.getUint32(0, true)).toBe(0x04034b50);
    expect(v.getUint32(z.length - 22, true)).toBe(0x06054b50);
    expect(v.getUint16(z.length - 22 + 10, true)).toBe(2);
    expect(new TextDecoder().decode(z.subarray(30, 35))).toBe('a.npy');
  });
});
