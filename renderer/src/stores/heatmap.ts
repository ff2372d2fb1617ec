// How heatmaps are drawn: shared by every view so a researcher sets colormap, layer and normalisation once.
import { create } from 'zustand';
import type { ColormapName } from '../heatmap/colormaps.js';
import type { HeadSel, Norm } from '../heatmap/maps.js';

export interface HeatmapSettings {
  colormap: ColormapName;
  opacity: number;
  threshold: number;
  lo: number;
  hi: number;
  smooth: boolean;
  /** 'auto' shows token grid lines once a cell is large on screen. */
  gridLines: 'auto' | 'on' | 'off';
  /** 1-based layer; null = the model's default layer. */
  layer: number | null;
  head: HeadSel;
  /** 0 = last prompt token; i > 0 = generated token i-1. */
  query: number;
  norm: Norm;
  showHeatmap: boolean;
}

interface HeatmapState extends HeatmapSettings {
  actions: {
    set: (patch: Partial<HeatmapSettings>) => void;
    setLayer: (layer: number) => void;
    reset: () => void;
  };
}

export const DEFAULT_HEATMAP: HeatmapSettings = {
  colormap: 'inferno',
  opacity: 0.6,
  threshold: 0,
  lo: 0,
  hi: 1,
  smooth: true,
  gridLines: 'auto',
  layer: null,
  head: 'mean',
  query: 0,
  norm: 'raw',
  showHeatmap: true,
};

export const useHeatmapStore = create<HeatmapState>()((set) => ({
  ...DEFAULT_HEATMAP,
  actions: {
    set: (patch) => set(patch),
    setLayer: (layer) => set({ layer }),
    reset: () => set({ ...DEFAULT_HEATMAP }),
  },
}));

export const useHeatmapActions = () => useHeatmapStore((s) => s.actions);
export const useHeatmap = <K extends keyof HeatmapSettings>(key: K): HeatmapSettings[K] => useHeatmapStore((s) => s[key]);

/** Clamp the stored layer to a model and fall back to its default; returns a 0-based index. */
export function layerIndex(layer: number | null, numLayers: number, defaultLayer: number): number {
  const l = layer ?? defaultLayer;
  return Math.min(Math.max(1, l), numLayers) - 1;
}
