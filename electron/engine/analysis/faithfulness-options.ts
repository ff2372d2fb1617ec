// The faithfulness analysis's options checked and defaulted (fractions, random seeds, layers), apart from
// the analysis itself so that batch specs can be checked without loading the model code.
import { DEFAULT_DELETION_FRACTIONS, DEFAULT_RANDOM_SEEDS, type FaithfulnessOptions } from '../../contract/analyses.js';
import { BadRequestError } from '../errors.js';

/** Checks a 1-based layer against the model's layers; `field` names the request field in the error. */
export function checkLayer(layer: number, numLayers: number, field: string): void {
  if (!Number.isInteger(layer) || layer < 1 || layer > numLayers)
    throw new BadRequestError(`${field}: layer ${layer} is out of range; this model has layers 1..${numLayers} (1-based).`, { field });
}

/** More seeds than this is a mistake more often than a plan: each one costs a pass per fraction. */
export const MAX_RANDOM_SEEDS = 32;

export interface CheckedFaithfulness {
  fractions: number[];
  seeds: number[];
  layers: number[];
  relative: boolean;
}

export function checkFaithfulness(options: FaithfulnessOptions, numLayers: number, defaultLayer: number): CheckedFaithfulness {
  if (typeof options !== 'object' || options === null)
    throw new BadRequestError('faithfulness must be an object of options ({} for the defaults).', { field: 'faithfulness' });
  for (const key of ['fractions', 'layers'] as const) {
    if (options[key] !== undefined && !Array.isArray(options[key]))
      throw new BadRequestError(`faithfulness.${key} must be a list of numbers.`, { field: `faithfulness.${key}` });
  }
  const fractions = [...(options.fractions ?? DEFAULT_DELETION_FRACTIONS)].sort((a, b) => a - b);
  if (fractions.length === 0 || fractions.some((f) => !(f > 0 && f <= 1)) || new Set(fractions).size !== fractions.length)
    throw new BadRequestError(`faithfulness.fractions must be distinct numbers in (0, 1]; got ${JSON.stringify(options.fractions)}.`, {
      field: 'faithfulness.fractions',
    });
  const n = options.randomSeeds ?? DEFAULT_RANDOM_SEEDS;
  if (!Number.isInteger(n) || n < 1 || n > MAX_RANDOM_SEEDS)
    throw new BadRequestError(
      `faithfulness.randomSeeds must be an integer in 1..${MAX_RANDOM_SEEDS} (random deletion is the baseline every curve is read against); got ${n}.`,
      {
        field: 'faithfulness.randomSeeds',
      },
    );
  const layers = [...new Set(options.layers ?? [Math.min(defaultLayer, numLayers)])].sort((a, b) => a - b);
  if (layers.length === 0)
    throw new BadRequestError('faithfulness.layers is empty: name at least one layer (1-based).', { field: 'faithfulness.layers' });
  for (const l of layers) checkLayer(l, numLayers, 'faithfulness.layers');
  return { fractions, seeds: Array.from({ length: n }, (_, i) => i + 1), layers, relative: options.relative === true };
}
