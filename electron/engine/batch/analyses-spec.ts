// The opt-in analyses of a batch spec (self-zoom, faithfulness): checked before a run starts, and written
// in one canonical form for the settings hash, so the same options always give the same record keys.
import {
  DEFAULT_CROP,
  DEFAULT_DELETION_FRACTIONS,
  DEFAULT_RANDOM_SEEDS,
  type FaithfulnessOptions,
  type SelfZoomOptions,
} from '../../contract/analyses.js';
import type { BatchSpec } from '../../contract/types.js';
import { checkFaithfulness } from '../analysis/faithfulness-options.js';
import { checkInput } from '../analysis/self-zoom.js';
import { BadRequestError } from '../errors.js';

/** Refuses a spec whose analyses cannot run on this model (layers out of range, bad fractions), before any item runs. */
export function validateAnalyses(spec: Pick<BatchSpec, 'selfZoom' | 'faithfulness' | 'views'>, numLayers: number): void {
  if ((spec.selfZoom || spec.faithfulness) && !spec.views.includes('global'))
    throw new BadRequestError('Self-zoom and faithfulness run on the global view: include "global" in views.', { field: 'views' });
  const sz = spec.selfZoom;
  if (sz) {
    if (typeof sz !== 'object') throw new BadRequestError('selfZoom must be an object of options.', { field: 'selfZoom' });
    for (const l of sz.layers ?? [])
      if (!Number.isInteger(l) || l < 1 || l > numLayers)
        throw new BadRequestError(`selfZoom.layers: layer ${l} is out of range; this model has layers 1..${numLayers}.`, {
          field: 'selfZoom.layers',
        });
    const crop = sz.crop ?? DEFAULT_CROP;
    if (crop.mode === 'fixed' ? !(crop.fraction > 0 && crop.fraction <= 1) : !(crop.baseSide > 0))
      throw new BadRequestError(`selfZoom.crop is not a usable rule: ${JSON.stringify(crop)}.`, { field: 'selfZoom.crop' });
    checkInput(sz.input);
  }
  // The default layer does not matter here: only explicit layers are range-checked.
  if (spec.faithfulness) checkFaithfulness(spec.faithfulness, numLayers, 1);
}

export function canonicalSelfZoom(o: SelfZoomOptions): unknown {
  const canonical = { layers: o.layers ?? 'default', relative: o.relative === true, crop: o.crop ?? DEFAULT_CROP };
  // 'crop' (the default) leaves the form as it was before crop+full existed, so earlier runs keep their keys.
  return o.input === 'crop+full' ? { ...canonical, input: o.input } : canonical;
}

export function canonicalFaithfulness(o: FaithfulnessOptions): unknown {
  return {
    fractions: [...(o.fractions ?? DEFAULT_DELETION_FRACTIONS)].sort((a, b) => a - b),
    randomSeeds: o.randomSeeds ?? DEFAULT_RANDOM_SEEDS,
    layers: o.layers ? [...new Set(o.layers)].sort((a, b) => a - b) : 'default',
    relative: o.relative === true,
    removal: 'mean-fill',
  };
}
