import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, parseClientMessage, type WireMessage } from './wire-protocol.js';

function roundTrip(message: WireMessage): unknown {
  return decodeMessage(encodeMessage(message));
}

describe('binary codec', () => {
  it('round-trips Float32Array and Uint8Array inside nested results', () => {
    const attention = new Float32Array([0.125, -1.5, 3.25, Number.MAX_VALUE > 0 ? 1e-30 : 0]);
    const bytes = new Uint8Array([0, 1, 254, 255, 7]);
    const decoded = roundTrip({
      type: 'response',
      id: 3,
      ok: true,
      result: { attention: { data: attention }, image: { bytes }, n: 2 },
    }) as {
      result: { attention: { data: Float32Array }; image: { bytes: Uint8Array }; n: number };
    };
    expect(decoded.result.attention.data).toBeInstanceOf(Float32Array);
    expect(Array.from(decoded.result.attention.data)).toEqual(Array.from(attention));
    expect(decoded.result.image.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.result.image.bytes)).toEqual([0, 1, 254, 255, 7]);
    expect(decoded.result.n).toBe(2);
  });

  it('keeps every supported typed array kind, subarrays and empty arrays', () => {
    const backing = new Float32Array([9, 8, 7, 6, 5]);
    const values = {
      f32sub: backing.subarray(1, 4),
      f64: new Float64Array([Math.PI, -0]),
      i32: new Int32Array([-5, 2147483647]),
      u16: new Uint16Array([65535]),
      i8: new Int8Array([-128, 127]),
      u8c: new Uint8ClampedArray([300 as number]),
      empty: new Float32Array(0),
    };
    const decoded = (roundTrip({ type: 'response', id: 1, ok: true, result: values }) as { result: typeof values }).result;
    expect(Array.from(decoded.f32sub)).toEqual([8, 7, 6]);
    expect(decoded.f64).toBeInstanceOf(Float64Array);
    expect(decoded.f64[0]).toBe(Math.PI);
    expect(Array.from(decoded.i32)).toEqual([-5, 2147483647]);
    expect(decoded.u16).toBeInstanceOf(Uint16Array);
    expect(Array.from(decoded.i8)).toEqual([-128, 127]);
    expect(decoded.u8c).toBeInstanceOf(Uint8ClampedArray);
    expect(decoded.empty).toBeInstanceOf(Float32Array);
    expect(decoded.empty.length).toBe(0);
  });

  it('keeps NaN and infinities (JSON would turn them into null)', () => {
    const decoded = roundTrip({ type: 'response', id: 1, ok: true, result: { a: Number.NaN, b: Infinity, c: -Infinity, d: 0.5 } }) as {
      result: Record<string, number>;
    };
    expect(decoded.result.a).toBeNaN();
    expect(decoded.result.b).toBe(Infinity);
    expect(decoded.result.c).toBe(-Infinity);
    expect(decoded.result.d).toBe(0.5);
  });

  it('sends a Node Buffer as a plain Uint8Array and decodes from an unaligned Buffer', () => {
    const frame = encodeMessage({
      type: 'request',
      id: 1,
      method: 'images.get',
      params: { source: { kind: 'bytes', name: 'x', bytes: Buffer.from([4, 5, 6]) }, f: new Float32Array([1.5, 2.5]) },
    });
    // Copy to an odd offset: Float32 views would be misaligned, so the decoder must copy.
    const shifted = Buffer.alloc(frame.length + 1);
    shifted.set(frame, 1);
    const decoded = decodeMessage(shifted.subarray(1)) as { params: { source: { bytes: Uint8Array }; f: Float32Array } };
    expect(decoded.params.source.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.params.source.bytes)).toEqual([4, 5, 6]);
    expect(Array.from(decoded.params.f)).toEqual([1.5, 2.5]);
  });

  it('aligns large arrays and views them without copying when possible', () => {
    const big = new Float32Array(100_000).map((_, i) => i * 0.5);
    const frame = encodeMessage({ type: 'response', id: 9, ok: true, result: { big, small: new Uint8Array([1]) } });
    expect(frame.byteLength).toBeLessThan(big.byteLength + 200);
    const decoded = decodeMessage(frame) as { result: { big: Float32Array } };
    expect(decoded.result.big.buffer).toBe(frame.buffer);
    expect(decoded.result.big[99_999]).toBe(99_999 * 0.5);
  });

  it('rejects frames that are not ours', () => {
    expect(() => decodeMessage(new TextEncoder().encode('{"type":"request"}'))).toThrow(/bad magic/);
    expect(() => decodeMessage(new Uint8Array(3))).toThrow(/too short/);
  });
});

describe('parseClientMessage', () => {
  it('accepts requests for contract methods and cancels', () => {
    expect(parseClientMessage({ type: 'request', id: 1, method: 'engine.info', params: {} })).toEqual({
      type: 'request',
      id: 1,
      method: 'engine.info',
      params: {},
    });
    expect(parseClientMessage({ type: 'cancel', id: 4 })).toEqual({ type: 'cancel', id: 4 });
  });

  it('names what is wrong with a malformed message', () => {
    expect(parseClientMessage({ type: 'request', id: 1, method: 'fs.read', params: {} })).toMatch(/unknown method/);
    expect(parseClientMessage({ type: 'request', id: -1, method: 'engine.info', params: {} })).toMatch(/id/);
    expect(parseClientMessage({ type: 'request', id: 1, method: 'engine.info', params: [] })).toMatch(/params/);
    expect(parseClientMessage('hello')).toMatch(/not an object/);
  });
});
