// Wilcoxon signed-rank test on paired differences (two-sided), as scipy.stats.wilcoxon computes it
// with zero_method='wilcox': zero differences dropped, average ranks for tied |d|, exact null
// distribution for n <= 20 without ties, else the normal approximation with the tie correction of
// the variance and a continuity correction.
import { normalCdf } from './normal.js';

export interface WilcoxonResult {
  /** min(W+, W-), the statistic scipy reports for the two-sided test. */
  statistic: number;
  /** Normal-approximation z of W+ (positive when differences tend to be positive). */
  z: number;
  /** Two-sided p-value (exact when `method` is 'exact'). */
  pValue: number;
  /** Non-zero differences used. */
  n: number;
  wPlus: number;
  wMinus: number;
  method: 'exact' | 'normal';
}

export interface WilcoxonOptions {
  /** 'auto' (default): exact for n <= 20 without ties. */
  exact?: 'auto' | boolean;
  /** Continuity correction in the normal approximation; default true. */
  correction?: boolean;
}

/** Average ranks (1-based) of values; also returns the sizes of tie groups. */
export function averageRanks(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const avg = (i + j + 2) / 2; // ranks i+1 .. j+1
    for (let k = i; k <= j; k++) ranks[order[k]] = avg;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** P(W+ <= w) under H0 for n untied ranks 1..n (all 2^n sign patterns equally likely). */
export function exactCdf(n: number, w: number): number {
  const max = (n * (n + 1)) / 2;
  let counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) {
    const next = new Float64Array(max + 1);
    for (let s = 0; s <= max; s++) {
      if (counts[s] === 0) continue;
      next[s] += counts[s];
      if (s + r <= max) next[s + r] += counts[s];
    }
    counts = next;
  }
  let acc = 0;
  for (let s = 0; s <= Math.min(max, Math.floor(w)); s++) acc += counts[s];
  return acc / 2 ** n;
}

export function wilcoxonSignedRank(differences: readonly number[], options: WilcoxonOptions = {}): WilcoxonResult {
  const d = differences.filter((x) => x !== 0 && !Number.isNaN(x));
  const n = d.length;
  if (n === 0) return { statistic: 0, z: 0, pValue: 1, n: 0, wPlus: 0, wMinus: 0, method: 'normal' };
  const { ranks, ties } = averageRanks(d.map(Math.abs));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (d[i] > 0) wPlus += ranks[i];
  const total = (n * (n + 1)) / 2;
  const wMinus = total - wPlus;
  const statistic = Math.min(wPlus, wMinus);
  const mn = total / 2;
  let variance = (n * (n + 1) * (2 * n + 1)) / 24;
  for (const t of ties) variance -= (t * t * t - t) / 48;
  const correction = options.correction ?? true;
  let z = 0;
  if (variance > 0) {
    const diff = wPlus - mn;
    z = (diff - (correction ? 0.5 * Math.sign(diff) : 0)) / Math.sqrt(variance);
  }
  const useExact = options.exact === true || ((options.exact ?? 'auto') === 'auto' && n <= 20 && ties.length === 0);
  if (useExact && ties.length === 0) {
    return { statistic, z, pValue: Math.min(1, 2 * exactCdf(n, statistic)), n, wPlus, wMinus, method: 'exact' };
  }
  const pValue = variance > 0 ? Math.min(1, 2 * normalCdf(-Math.abs(z))) : 1;
  return { statistic, z, pValue, n, wPlus, wMinus, method: 'normal' };
}
