// How heatmaps are painted (colormap, opacity, threshold, display range, smoothing, grid lines): shared by
// every view because it changes no number. What is measured (layer, heads, token, scale) is each view's
// own analysis selection (stores/selection.ts).
import { create } from 'zustand';
import type { ColormapName } from '../heatmap/colormaps.js';

interface HeatmapSettings {
  colormap: ColormapName;
  opacity: number;
  /** Cells whose display value is below this fraction of the scale are transparent. */
  threshold: number;
  /** The part of the scale that spans the colours (fractions of the scale's upper end). */
  lo: number;
  hi: number;
  smooth: boolean;
  /** 'auto' shows token grid lines once a cell is large on screen. */
  gridLines: 'auto' | 'on' | 'off';
  showHeatmap: boolean;
}

interface HeatmapState extends HeatmapSettings {
  actions: {
    set: (patch: Partial<HeatmapSettings>) => void;
  };
}

const DEFAULT_HEATMAP: HeatmapSettings = {
  colormap: 'inferno',
  opacity: 0.65,
  threshold: 0,
  lo: 0,
  hi: 1,
  smooth: true,
  gridLines: 'auto',
  showHeatmap: true,
};

export const useHeatmapStore = create<HeatmapState>()((set) => ({
  ...DEFAULT_HEATMAP,
  actions: {
    set: (patch) => set(patch),
  },
}));

export const useHeatmapActions = () => useHeatmapStore((s) => s.actions);
