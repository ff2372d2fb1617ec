// Derived data for one analysis under the current heatmap settings: the precomputed per-layer maps
// (recomputed only when the result, token, head or normalisation changes) and the box metrics
// (recomputed when the box moves), both from the shared metrics module.
import { useMemo } from 'react';
import type { AnalysisResult, Box, LayerMetrics } from '../../../electron/contract/types.js';
import { boxAreaShare, defaultLayer, metricsByLayer } from '../../../electron/engine/metrics/index.js';
import { headMode, prepareMaps, type PreparedMaps } from '../heatmap/maps.js';
import { layerIndex, useHeatmapStore } from '../stores/heatmap.js';
import { isValidBox } from '../box/geometry.js';

export interface AnalysisMaps {
  maps: PreparedMaps;
  /** 0-based index of the layer on screen. */
  layer: number;
  defaultLayer: number;
  display: Float32Array;
}

export function useAnalysisMaps(result: AnalysisResult | null | undefined): AnalysisMaps | null {
  const query = useHeatmapStore((s) => s.query);
  const head = useHeatmapStore((s) => s.head);
  const norm = useHeatmapStore((s) => s.norm);
  const layerSetting = useHeatmapStore((s) => s.layer);
  const maps = useMemo(() => {
    if (!result) return null;
    const h = typeof head === 'number' && head >= result.attention.numHeads ? 'mean' : head;
    return prepareMaps(result.attention, result.genericAttention, query, h, norm);
  }, [result, query, head, norm]);
  if (!result || !maps) return null;
  const def = defaultLayer(maps.numLayers);
  const layer = layerIndex(layerSetting, maps.numLayers, def);
  return { maps, layer, defaultLayer: def, display: maps.display[layer] };
}

export interface BoxMetrics {
  byLayer: LayerMetrics[];
  areaShare: number;
}

export function useBoxMetrics(result: AnalysisResult | null | undefined, box: Box | null | undefined): BoxMetrics | null {
  const query = useHeatmapStore((s) => s.query);
  const head = useHeatmapStore((s) => s.head);
  return useMemo(() => {
    if (!result || !isValidBox(box)) return null;
    const q = Math.min(query, result.attention.numQueries - 1);
    const h = typeof head === 'number' && head >= result.attention.numHeads ? 'mean' : head;
    // The metrics module rejects impossible boxes (outside the image); the box editor then shows no numbers.
    try {
      const rec = metricsByLayer({
        attention: result.attention,
        geometry: result.geometry,
        box,
        genericAttention: q === 0 ? result.genericAttention : undefined,
        head: headMode(h),
        query: q,
      });
      const byLayer = Array.from({ length: result.attention.numLayers }, (_, i) => rec[String(i + 1)]);
      return { byLayer, areaShare: boxAreaShare(box, result.geometry) };
    } catch {
      return null;
    }
  }, [result, box, query, head]);
}
