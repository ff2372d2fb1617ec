import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateAnalyses } from './analyses-spec.js';
import { settingsHash } from './keys.js';

describe('settings hash with the opt-in analyses', () => {
  const plain = { maxNewTokens: 16, layers: [] as number[] };

  it('is unchanged for specs without them (runs made before keep their keys)', () => {
    const expected = createHash('sha256')
      .update(JSON.stringify({ maxNewTokens: 16, layers: [], metrics: 1 }))
      .digest('hex')
      .slice(0, 12);
    expect(settingsHash(plain)).toBe(expected);
  });

  it('changes with each analysis and its options, and reads defaults and spelled-out defaults alike', () => {
    const sz = settingsHash({ ...plain, selfZoom: {} });
    const f = settingsHash({ ...plain, faithfulness: {} });
    expect(new Set([settingsHash(plain), sz, f, settingsHash({ ...plain, selfZoom: {}, faithfulness: {} })]).size).toBe(4);
    expect(settingsHash({ ...plain, selfZoom: { crop: { mode: 'fixed', fraction: 0.5 } } })).toBe(sz);
    expect(settingsHash({ ...plain, selfZoom: { crop: { mode: 'fixed', fraction: 0.25 } } })).not.toBe(sz);
    // The default input keeps the keys of runs made before crop+full existed; crop+full is another run.
    expect(settingsHash({ ...plain, selfZoom: { input: 'crop' } })).toBe(sz);
    expect(settingsHash({ ...plain, selfZoom: { input: 'crop+full' } })).not.toBe(sz);
    expect(settingsHash({ ...plain, faithfulness: { fractions: [0.2, 0.05, 0.1], randomSeeds: 3 } })).toBe(f);
    expect(settingsHash({ ...plain, faithfulness: { layers: [2, 1] } })).toBe(settingsHash({ ...plain, faithfulness: { layers: [1, 2] } }));
    expect(settingsHash({ ...plain, faithfulness: { randomSeeds: 5 } })).not.toBe(f);
  });
});

describe('validateAnalyses', () => {
  const views = ['global', 'regional'] as ('global' | 'regional')[];
  it('refuses what cannot run before any item does, naming the field', () => {
    expect(() => validateAnalyses({ views: ['regional'], selfZoom: {} }, 4)).toThrow(/include "global"/);
    expect(() => validateAnalyses({ views, selfZoom: { layers: [2, 9] } }, 4)).toThrow(/selfZoom.layers: layer 9/);
    expect(() => validateAnalyses({ views, selfZoom: { crop: { mode: 'fixed', fraction: 0 } } }, 4)).toThrow(/selfZoom.crop/);
    expect(() => validateAnalyses({ views, selfZoom: { input: 'full' as never } }, 4)).toThrow(/selfZoom.input must be/);
    expect(() => validateAnalyses({ views, faithfulness: { fractions: [0.1, 1.2] } }, 4)).toThrow(/faithfulness.fractions/);
    expect(() => validateAnalyses({ views, faithfulness: { layers: [5] } }, 4)).toThrow(/faithfulness.layers: layer 5/);
    expect(() => validateAnalyses({ views, faithfulness: { randomSeeds: 0 } }, 4)).toThrow(/randomSeeds/);
    expect(() => validateAnalyses({ views, selfZoom: {}, faithfulness: {} }, 4)).not.toThrow();
  });
});
