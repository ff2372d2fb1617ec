// Everything a view shows of one analysis under its own selection: the resolved selection, the map to
// paint, the box metrics of the selection and of every layer (for the curve), and the label that goes
// with every number. Maps come from the per-analysis cache (heatmap/maps.ts); metrics from the shared
// metrics module, so the numbers are the engine's.
import { useMemo } from 'react';
import type { AnalysisResult, Box, LayerMetrics } from '../../../electron/contract/types.js';
import { boxAreaShare, defaultLayer, mapMetrics } from '../../../electron/engine/metrics/index.js';
import { activationDisplay, mapCache, type DisplayMap } from '../heatmap/maps.js';
import { isValidBox } from '../box/geometry.js';
import { protocolOf, selectionLabel } from '../selection/labels.js';
import { resolveSelection, type ResolvedSelection, type SelectionScope, type SelectionShape } from '../selection/selection.js';
import { useSelection } from '../stores/selection.js';

export interface AnalysisView {
  result: AnalysisResult;
  sel: ResolvedSelection;
  shape: SelectionShape;
  map: DisplayMap;
  /** "layer 3 · mean of 16 heads · prompt token · paper protocol" */
  label: string;
  protocol?: string;
}

export interface BoxMetrics {
  /** Metrics of the selection itself (one layer, or the mean map of a layer range, or an activation map). */
  selected: LayerMetrics;
  /** Every single layer under the selection's heads and token, for the per-layer curve (empty for activation maps: one per token). */
  byLayer: LayerMetrics[];
  areaShare: number;
}

function shapeOf(result: AnalysisResult): SelectionShape {
  const a = result.attention;
  return {
    numLayers: a.numLayers,
    numHeads: a.numHeads,
    numQueries: a.numQueries,
    defaultLayer: defaultLayer(a.numLayers),
    hasGeneric: !!result.genericAttention,
    activationTokens: result.activation?.tokens.length ?? 0,
  };
}

export function useAnalysisView(result: AnalysisResult | null | undefined, scope: SelectionScope): AnalysisView | null {
  const selection = useSelection(scope);
  return useMemo(() => {
    if (!result) return null;
    const shape = shapeOf(result);
    const sel = resolveSelection(selection, shape);
    const token = sel.kind === 'activation' ? result.activation?.tokens[sel.query] : undefined;
    const map = token ? activationDisplay(token.map, sel.norm) : mapCache(result.attention, result.genericAttention).map(sel);
    const protocol = protocolOf(result);
    return { result, sel, shape, map, protocol, label: selectionLabel({ sel, tokens: result.tokens, protocol }) };
  }, [result, selection]);
}

const curves = new WeakMap<AnalysisResult, Map<string, LayerMetrics[]>>();

/** Metrics of every single layer under one head choice and token (cached: the layer slider only picks one). */
function layerCurve(result: AnalysisResult, box: Box, sel: ResolvedSelection): LayerMetrics[] {
  const key = `${String(sel.head)}|${sel.query}|${box.join(',')}`;
  let byResult = curves.get(result);
  if (!byResult) curves.set(result, (byResult = new Map()));
  const hit = byResult.get(key);
  if (hit) return hit;
  const cache = mapCache(result.attention, result.genericAttention);
  const out = Array.from({ length: sel.numLayers }, (_, i) =>
    mapMetrics(
      cache.raw(i + 1, i + 1, sel.head, sel.query),
      result.geometry,
      box,
      sel.query === 0 ? cache.genericRaw(i + 1, i + 1, sel.head) : undefined,
    ),
  );
  byResult.set(key, out);
  return out;
}

/** Box metrics of a view; null without a usable box (a box outside the image gives no numbers). */
export function boxMetrics(view: AnalysisView, box: Box | null | undefined): BoxMetrics | null {
  if (!isValidBox(box)) return null;
  const { result, sel } = view;
  if (sel.kind === 'activation') {
    // The same box metrics as attention, on the token's activation map (no per-layer curve: one map).
    try {
      return { selected: mapMetrics(view.map.values, result.geometry, box), byLayer: [], areaShare: boxAreaShare(box, result.geometry) };
    } catch {
      return null;
    }
  }
  const cache = mapCache(result.attention, result.genericAttention);
  try {
    const byLayer = layerCurve(result, box, sel);
    // Relative coverage compares with the generic prompt's last token: only meaningful for the prompt token.
    const selected =
      sel.from === sel.to
        ? byLayer[sel.from - 1]
        : mapMetrics(
            cache.raw(sel.from, sel.to, sel.head, sel.query),
            result.geometry,
            box,
            sel.query === 0 ? cache.genericRaw(sel.from, sel.to, sel.head) : undefined,
          );
    return { selected, byLayer, areaShare: boxAreaShare(box, result.geometry) };
  } catch {
    return null;
  }
}

export function useBoxMetrics(view: AnalysisView | null, box: Box | null | undefined): BoxMetrics | null {
  return useMemo(() => (view ? boxMetrics(view, box) : null), [view, box]);
}
