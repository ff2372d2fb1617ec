import { describe, expect, it } from 'vitest';
import { CancelledError, InvalidBenchError, LoupeError, NotFoundError, throwIfAborted, toErrorPayload } from './errors.js';

describe('LoupeError', () => {
  it('carries code, file and field into the payload', () => {
    const err = new InvalidBenchError('bbox must be 4 numbers', { file: '/b/test.json', field: 'bbox' });
    expect(err).toBeInstanceOf(LoupeError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('invalid-bench');
    expect(err.toPayload()).toEqual({ code: 'invalid-bench', message: 'bbox must be 4 numbers', file: '/b/test.json', field: 'bbox' });
  });
  it('maps foreign errors to internal and aborts to cancelled', () => {
    expect(toErrorPayload(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toErrorPayload(new NotFoundError('no run')).code).toBe('not-found');
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(toErrorPayload(abort).code).toBe('cancelled');
  });
  it('throwIfAborted throws CancelledError only once aborted', () => {
    const ctl = new AbortController();
    expect(() => throwIfAborted(ctl.signal)).not.toThrow();
    ctl.abort();
    expect(() => throwIfAborted(ctl.signal)).toThrow(CancelledError);
  });
});
