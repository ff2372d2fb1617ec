// The 1-based layer the app selects first: the metrics module's rule (24 as in the paper, else the same
// relative depth), unless the package's loupe.json names one (`defaultLayer`, 1-based), as a trained
// student may after its own layer sweep.
import { defaultLayer } from '../metrics/index.js';
import { isObject, type Json } from './package.js';

export function defaultLayerFor(numLayers: number, manifest?: Json | null): number {
  if (!Number.isInteger(numLayers) || numLayers <= 0) return 1;
  const metrics = manifest?.['metrics'];
  const fromManifest = manifest?.['defaultLayer'] ?? (isObject(metrics) ? metrics['defaultLayer'] : undefined);
  if (typeof fromManifest === 'number' && Number.isInteger(fromManifest) && fromManifest >= 1 && fromManifest <= numLayers)
    return fromManifest;
  return defaultLayer(numLayers);
}
