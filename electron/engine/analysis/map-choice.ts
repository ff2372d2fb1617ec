// The attention map the self-zoom and faithfulness analyses read: head-mean, query 0 (the last prompt
// token), one layer or the mean of a layer range, raw or relative to the generic prompt. One place, so
// the CLI, the app and batch runs choose maps the same way.
import type { MapSelection } from '../../contract/analyses.js';
import type { AnalysisResult } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { layerRangeAggregate, relativeAttention } from '../metrics/index.js';
import { checkLayer } from './faithfulness-options.js';

export interface ChosenMap {
  map: Float64Array;
  layers: [number, number];
  relative: boolean;
}

export function chooseMap(result: AnalysisResult, sel: MapSelection, defaultLayer: number, field: string): ChosenMap {
  const numLayers = result.attention.numLayers;
  if (typeof sel !== 'object' || sel === null)
    throw new BadRequestError(`${field} must be an object of options ({} for the defaults).`, { field });
  if (sel.layers !== undefined && (!Array.isArray(sel.layers) || sel.layers.length !== 2))
    throw new BadRequestError(`${field}.layers must be [first, last] (1-based, inclusive).`, { field: `${field}.layers` });
  const layers: [number, number] = sel.layers ?? [Math.min(defaultLayer, numLayers), Math.min(defaultLayer, numLayers)];
  checkLayer(layers[0], numLayers, `${field}.layers`);
  checkLayer(layers[1], numLayers, `${field}.layers`);
  if (layers[1] < layers[0])
    throw new BadRequestError(`${field}.layers: the range ${layers[0]}..${layers[1]} is empty (the end comes before the start).`, {
      field: `${field}.layers`,
    });
  const raw = layerRangeAggregate(result.attention, layers[0], layers[1], 'mean', 0);
  const relative = sel.relative === true;
  if (!relative) return { map: raw, layers, relative };
  if (!result.genericAttention)
    throw new BadRequestError(`${field}.relative needs the generic prompt's attention: leave withGeneric on.`, {
      field: `${field}.relative`,
    });
  const generic = layerRangeAggregate(result.genericAttention, layers[0], layers[1], 'mean', 0);
  return { map: relativeAttention(raw, generic), layers, relative };
}
