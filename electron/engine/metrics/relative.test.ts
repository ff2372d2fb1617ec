import { describe, expect, it } from 'vitest';
import { coveragePaper } from './coverage.js';
import { RELATIVE_EPSILON, relativeAttention, relativeCoveragePaper } from './relative.js';

describe('relative attention', () => {
  it('is the ratio of normalised shares, 1 where both prompts agree', () => {
    const rel = relativeAttention([1, 1, 2], [1, 1, 2]);
    for (const v of rel) expect(v).toBeCloseTo(1, 5);
    // shares a = (0.5, 0.25, 0.25), b = (0.25, 0.25, 0.5)
    const r = relativeAttention([2, 1, 1], [1, 1, 2]);
    expect(r[0]).toBeCloseTo(2, 5);
    expect(r[1]).toBeCloseTo(1, 5);
    expect(r[2]).toBeCloseTo(0.5, 5);
  });
  it('cancels a question-independent sink', () => {
    // Both prompts put 90% on cell 0 (a sink); the question adds focus on cell 3.
    const q = [0.9, 0.02, 0.02, 0.06];
    const generic = [0.9, 0.03333, 0.03333, 0.03334];
    const g = { imageWidth: 40, imageHeight: 10, gridH: 1, gridW: 4 };
    expect(coveragePaper(q, g, [31, 0, 39, 10])).toBeLessThan(0.12);
    expect(relativeCoveragePaper(q, generic, g, [31, 0, 39, 10])).toBeGreaterThan(0.35);
  });
  it('stays finite where the generic prompt gives zero attention', () => {
    const r = relativeAttention([1, 1], [1, 0]);
    expect(Number.isFinite(r[1])).toBe(true);
    expect(r[1]).toBeCloseTo(0.5 / (RELATIVE_EPSILON / 2), 0);
    expect(() => relativeAttention([1], [1, 2])).toThrow(/same grid/);
  });
});
