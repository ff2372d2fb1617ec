// Percentile bootstrap confidence intervals with a seeded PRNG (reproducible to the last digit).
import type { CiStat } from '../../contract/types.js';
import { mean, median, quantileSorted } from './describe.js';
import { seededRng } from './rng.js';

export interface BootstrapOptions {
  /** Resamples; default 2000. */
  iterations?: number;
  /** Default 0.95. */
  level?: number;
  /** Default 20260211 (any fixed number; documented so others can reproduce). */
  seed?: number;
  /** Statistic of a resample; default the mean. */
  statistic?: (sample: readonly number[]) => number;
}

export const DEFAULT_SEED = 20260211;

/** Percentile CI of the statistic: the (1-level)/2 and (1+level)/2 quantiles of resampled statistics. */
export function bootstrapCi(values: readonly number[], options: BootstrapOptions = {}): { lo: number; hi: number } {
  const n = values.length;
  if (n === 0) return { lo: Number.NaN, hi: Number.NaN };
  const iterations = options.iterations ?? 2000;
  const level = options.level ?? 0.95;
  const stat = options.statistic ?? mean;
  const rng = seededRng(options.seed ?? DEFAULT_SEED);
  const stats = new Array<number>(iterations);
  const sample = new Array<number>(n);
  for (let b = 0; b < iterations; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(rng() * n)];
    stats[b] = stat(sample);
  }
  stats.sort((x, y) => x - y);
  return { lo: quantileSorted(stats, (1 - level) / 2), hi: quantileSorted(stats, (1 + level) / 2) };
}

/**
 * Mean, median and a bootstrap CI of the mean. NaN values are dropped (n counts the rest). An empty
 * sample gives zeros with n = 0 (JSON cannot carry NaN; n = 0 tells the reader there was no data).
 */
export function ciStat(values: readonly number[], options: BootstrapOptions = {}): CiStat {
  const clean = values.filter((v) => !Number.isNaN(v));
  if (clean.length === 0) return { mean: 0, median: 0, lo: 0, hi: 0, n: 0 };
  const { lo, hi } = bootstrapCi(clean, options);
  return { mean: mean(clean), median: median(clean), lo, hi, n: clean.length };
}
