import { describe, expect, it } from 'vitest';
import { bootstrapCi, ciStat } from './bootstrap.js';
import { mean, median, pairedDeltas, quantile } from './describe.js';
import { normalCdf } from './normal.js';
import { averageRanks, exactCdf, wilcoxonSignedRank } from './wilcoxon.js';

describe('describe', () => {
  it('mean, median and type-7 quantiles by hand', () => {
    expect(mean([1, 2, 3, 10])).toBe(4);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.1)).toBeCloseTo(1.3, 14); // pos 0.3 between 1 and 2
    expect(pairedDeltas([1, 2], [3, 1])).toEqual([2, -1]);
    expect(() => pairedDeltas([1], [1, 2])).toThrow(/equal lengths/);
  });
});

describe('bootstrap', () => {
  const data = [0.1, 0.4, 0.35, 0.8, 0.05, 0.6, 0.3, 0.45, 0.2, 0.9];
  it('is reproducible with a seed and brackets the mean', () => {
    const a = bootstrapCi(data, { seed: 7 });
    expect(bootstrapCi(data, { seed: 7 })).toEqual(a);
    expect(bootstrapCi(data, { seed: 8 })).not.toEqual(a);
    expect(a.lo).toBeLessThan(mean(data));
    expect(a.hi).toBeGreaterThan(mean(data));
    // The CI of a mean of 10 values with sd ~0.28 is about +-1.96 * 0.28 / sqrt(10) ~ +-0.17.
    expect(a.hi - a.lo).toBeGreaterThan(0.2);
    expect(a.hi - a.lo).toBeLessThan(0.45);
  });
  it('degenerates sensibly', () => {
    expect(bootstrapCi([2, 2, 2])).toEqual({ lo: 2, hi: 2 });
    expect(ciStat([5])).toEqual({ mean: 5, median: 5, lo: 5, hi: 5, n: 1 });
    expect(ciStat([])).toEqual({ mean: 0, median: 0, lo: 0, hi: 0, n: 0 });
    expect(ciStat([1, Number.NaN, 3]).n).toBe(2);
  });
  it('a two-point sample: every resample mean is k/n, so the CI ends are such values', () => {
    const ci = bootstrapCi([0, 1], { iterations: 4000 });
    // Resample means of two 0/1 draws are 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4.
    expect(ci).toEqual({ lo: 0, hi: 1 });
  });
});

describe('normalCdf', () => {
  it('matches tabulated values to ~1e-12', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 15);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalCdf(3)).toBeCloseTo(0.9986501019683699, 12);
    // Far tail: relative accuracy ~1e-8 is plenty for p-values.
    expect(normalCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 7);
  });
});

describe('Wilcoxon signed-rank', () => {
  // Fisher's (Darwin's) paired plant heights, the example in scipy.stats.wilcoxon's documentation:
  // wilcoxon(d) -> statistic 24.0, p 0.041259765625 (exact, n = 15).
  const darwin = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];

  it('reproduces the scipy documentation example exactly', () => {
    const r = wilcoxonSignedRank(darwin);
    expect(r.method).toBe('exact');
    expect(r.statistic).toBe(24);
    expect(r.wMinus).toBe(24); // ranks 10 + 14
    expect(r.wPlus).toBe(96);
    expect(r.pValue).toBeCloseTo(0.041259765625, 14);
  });

  it('exact distribution agrees with brute-force enumeration of sign patterns', () => {
    for (const n of [1, 2, 5, 9, 12]) {
      for (const w of [0, 3, Math.floor((n * (n + 1)) / 4), (n * (n + 1)) / 2]) {
        let count = 0;
        for (let mask = 0; mask < 2 ** n; mask++) {
          let s = 0;
          for (let r = 1; r <= n; r++) if (mask & (1 << (r - 1))) s += r;
          if (s <= w) count++;
        }
        expect(exactCdf(n, w)).toBeCloseTo(count / 2 ** n, 14);
      }
    }
  });

  it('normal approximation with continuity correction, by hand', () => {
    // n = 15: mean 60, variance 15*16*31/24 = 310; W+ = 96 -> z = (96 - 60 - 0.5) / sqrt(310).
    const r = wilcoxonSignedRank(darwin, { exact: false });
    const z = 35.5 / Math.sqrt(310);
    expect(r.method).toBe('normal');
    expect(r.z).toBeCloseTo(z, 12);
    expect(r.pValue).toBeCloseTo(2 * (1 - normalCdf(z)), 12);
    expect(r.pValue).toBeCloseTo(0.04377, 4);
  });

  it('drops zeros and corrects the variance for ties, by hand', () => {
    // d = [0, 1, -1, 2, 2, 2, 3]: zero dropped -> |d| = 1,1,2,2,2,3 -> ranks 1.5,1.5,4,4,4,6.
    // W+ = 1.5 + 4*3 + 6 = 19.5, W- = 1.5; n = 6: mean 10.5, var = 6*7*13/24 - (6 + 24)/48 = 22.75 - 0.625 = 22.125.
    const r = wilcoxonSignedRank([0, 1, -1, 2, 2, 2, 3]);
    expect(r.n).toBe(6);
    expect(r.wPlus).toBe(19.5);
    expect(r.statistic).toBe(1.5);
    expect(r.method).toBe('normal'); // ties: no exact distribution
    expect(r.z).toBeCloseTo((19.5 - 10.5 - 0.5) / Math.sqrt(22.125), 12);
    expect(averageRanks([3, 1, 1, 2])).toEqual({ ranks: [4, 1.5, 1.5, 3], ties: [2] });
  });

  it('handles empty and one-sided samples', () => {
    expect(wilcoxonSignedRank([0, 0]).pValue).toBe(1);
    // All 5 positive: W- = 0, exact p = 2 / 32.
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5]).pValue).toBeCloseTo(2 / 32, 14);
    // Large n falls back to the normal approximation.
    const big = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? -(i + 1) : i + 1));
    expect(wilcoxonSignedRank(big).method).toBe('normal');
  });
});
