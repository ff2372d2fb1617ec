import { describe, expect, it } from 'vitest';
import { exportName, safePart } from './names.js';

describe('export names', () => {
  it('say model, bench or image, date and detail', () => {
    expect(
      exportName({ model: 'loupe-tiny-r2i', subject: 'loupe-mini', date: '2026-11-21T12:00:00Z', detail: ['run-1'] }, 'records.csv'),
    ).toBe('loupe-tiny-r2i_loupe-mini_2026-11-21_run-1.records.csv');
    expect(
      exportName(
        { model: 'Qwen/Qwen3-VL 8B', subject: 'IMG 0001.jpg', date: new Date('2026-01-02T00:00:00Z'), detail: ['layer 3', 'mean'] },
        'png',
      ),
    ).toBe('Qwen-Qwen3-VL-8B_IMG-0001.jpg_2026-01-02_layer-3_mean.png');
  });
  it('never produce an empty or path-like part', () => {
    expect(safePart('../..')).toBe('x');
    expect(safePart('a/b')).toBe('a-b');
  });
});
