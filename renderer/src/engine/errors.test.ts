import { describe, expect, it } from 'vitest';
import { toUiError } from './errors.js';

describe('toUiError', () => {
  it('gives a provider failure a provider hint, not one about the inputs', () => {
    const e = toUiError({
      code: 'bad-request',
      message: 'The cuda execution provider cannot run here: libcudart missing.',
      field: 'provider',
    });
    expect(e.hint).toMatch(/cpu/);
    expect(e.hint).not.toMatch(/question|box/);
  });
  it('adds no generic hint where the engine message already says what to do', () => {
    expect(
      toUiError({
        code: 'invalid-image',
        message: 'a.png is 20000x20000 (400.0 megapixels), over the 100 megapixel limit; downscale it first.',
      }).hint,
    ).toBe('');
    expect(toUiError({ code: 'bad-request', message: 'something', field: 'spec' }).hint).toBe('');
  });
  it('keeps the field-specific box hint', () => {
    expect(toUiError({ code: 'bad-request', message: 'Box outside', field: 'box' }).hint).toMatch(/key box/);
  });
});
