// The analysis selection: which part of an analysis a view shows and measures. Each view (Inspect,
// Replay, Compare) holds its own (stores/selection.ts) and shows its controls (SelectionBar), so no
// number depends on a choice made in another view. Pure: resolved against a result's shape here, and
// turned into the words every number carries in labels.ts.

/** 'mean' and 'max' aggregate heads; a number picks one head (0-based, shown as h0, h1, ...). */
export type HeadSel = 'mean' | 'max' | number;

/**
 * How the map is scaled to colours (what a colour means; the numbers do not depend on it):
 * per-layer 99th percentile (default: one bright sink cell cannot wash out the rest), per-layer maximum,
 * one scale shared by all layers (compares strength across layers), or relative attention (divided by
 * the generic prompt's, cancels sinks) on its own per-layer 99th percentile.
 */
export type Norm = 'layerP99' | 'layerMax' | 'shared' | 'relative';

/**
 * Which map is shown: attention (the query position's attention over the visual tokens) or activation
 * (docs/metrics.md "Activation maps": each visual token's final hidden state scored against the answer
 * token's unembedding row), when the analysis has activation maps.
 */
export type MapKind = 'attention' | 'activation';

export interface AnalysisSelection {
  kind: MapKind;
  /** 1-based layer; null = the model's default layer. */
  layer: number | null;
  /** 1-based last layer of a range (inclusive), or null for one layer. */
  layerTo: number | null;
  head: HeadSel;
  /** 0 = the last prompt token (the paper's query position); i > 0 = generated token i-1. */
  query: number;
  norm: Norm;
}

export type SelectionScope = 'inspect' | 'replay' | 'compare';

/** The paper's measurement: default layer, mean over heads, the last prompt token. */
export const DEFAULT_SELECTION: AnalysisSelection = {
  kind: 'attention',
  layer: null,
  layerTo: null,
  head: 'mean',
  query: 0,
  norm: 'layerP99',
};

/** What an analysis offers to select from. */
export interface SelectionShape {
  numLayers: number;
  numHeads: number;
  numQueries: number;
  defaultLayer: number;
  hasGeneric: boolean;
  /** Answer tokens with an activation map (0 = the analysis has none). */
  activationTokens: number;
}

/** A selection made valid for one analysis: layers clamped, a head it does not have falls back to the mean. */
export interface ResolvedSelection {
  /** 'activation' only when the analysis has activation maps. */
  kind: MapKind;
  /** 1-based, from <= to; from === to for one layer. */
  from: number;
  to: number;
  head: HeadSel;
  query: number;
  norm: Norm;
  numHeads: number;
  numLayers: number;
}

const clampInt = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(v)));

export function resolveSelection(sel: AnalysisSelection, shape: SelectionShape): ResolvedSelection {
  const from = clampInt(sel.layer ?? shape.defaultLayer, 1, shape.numLayers);
  const to = sel.layerTo === null ? from : Math.max(from, clampInt(sel.layerTo, 1, shape.numLayers));
  const head = typeof sel.head === 'number' && (sel.head < 0 || sel.head >= shape.numHeads) ? 'mean' : sel.head;
  const kind: MapKind = sel.kind === 'activation' && shape.activationTokens > 0 ? 'activation' : 'attention';
  // Query q is the position that produced answer token q + 1: its activation map is token q's.
  const queries = kind === 'activation' ? Math.min(shape.numQueries, shape.activationTokens) : shape.numQueries;
  const query = clampInt(sel.query, 0, Math.max(0, queries - 1));
  // Relative attention needs the generic prompt's maps, which exist for the prompt token only.
  const norm = sel.norm === 'relative' && (!shape.hasGeneric || query !== 0) ? 'layerP99' : sel.norm;
  return { kind, from, to, head, query, norm, numHeads: shape.numHeads, numLayers: shape.numLayers };
}
