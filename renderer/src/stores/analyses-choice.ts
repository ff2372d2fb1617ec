// The opt-in analyses a view runs with its next analysis (Inspect, Replay and batch runs share it), and
// the request fields it turns into (docs/metrics.md).
import type { SelfZoomInput } from '../../../electron/contract/analyses.js';

export interface AnalysesChoice {
  selfZoom: boolean;
  /** What self-zoom's second pass sees: the crop alone or the full image followed by the crop (ViCrop). */
  selfZoomInput: SelfZoomInput;
  faithfulness: boolean;
  activation: boolean;
}

export const NO_ANALYSES: AnalysesChoice = { selfZoom: false, selfZoomInput: 'crop', faithfulness: false, activation: false };

/** The request's self-zoom and activation fields (faithfulness takes per-view layers, so callers add it). */
export function analysesRequest(c: AnalysesChoice): { selfZoom?: { input: SelfZoomInput }; activation?: Record<string, never> } {
  return {
    ...(c.selfZoom ? { selfZoom: { input: c.selfZoomInput } } : {}),
    ...(c.activation ? { activation: {} } : {}),
  };
}

/** A short key of the choice, for caches of analysed items. */
export function analysesKey(c: AnalysesChoice): string {
  return `${c.selfZoom ? `z:${c.selfZoomInput}` : ''}${c.faithfulness ? 'f' : ''}${c.activation ? 'a' : ''}`;
}
