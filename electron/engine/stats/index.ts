// Public surface of the stats module (pure TypeScript: usable from the renderer too).
export { seededRng, type Rng } from './rng.js';
export { mean, median, quantile, quantileSorted, pairedDeltas } from './describe.js';
export { bootstrapCi, ciStat, DEFAULT_SEED, type BootstrapOptions } from './bootstrap.js';
export { normalCdf } from './normal.js';
export { wilcoxonSignedRank, averageRanks, exactCdf, type WilcoxonResult, type WilcoxonOptions } from './wilcoxon.js';
