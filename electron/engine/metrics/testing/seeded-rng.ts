// Seeded PRNG for the metrics tests: reproducible random maps and boxes (the stats module's mulberry32).
import { seededRng } from '../../stats/rng.js';

export const makeRng = seededRng;

export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}
