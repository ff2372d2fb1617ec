// Colormaps from d3-scale-chromatic, baked into 256-entry RGB lookup tables so painting a cell is
// one array read instead of an interpolator call and a colour-string parse.
import {
  interpolateCividis,
  interpolateInferno,
  interpolateMagma,
  interpolatePlasma,
  interpolateRdBu,
  interpolateTurbo,
  interpolateViridis,
  interpolateGreys,
  interpolateYlOrRd,
  rgb,
} from 'd3';

const COLORMAPS = {
  viridis: interpolateViridis,
  inferno: interpolateInferno,
  magma: interpolateMagma,
  plasma: interpolatePlasma,
  turbo: interpolateTurbo,
  cividis: interpolateCividis,
  ylorrd: interpolateYlOrRd,
  greys: interpolateGreys,
  // Diverging: used by the difference map (reversed so positive = red = "B looks more here").
  rdbu: (t: number) => interpolateRdBu(1 - t),
} as const;

export type ColormapName = keyof typeof COLORMAPS;
export const SEQUENTIAL_COLORMAPS: ColormapName[] = ['viridis', 'inferno', 'magma', 'plasma', 'turbo', 'cividis', 'ylorrd', 'greys'];

const cache = new Map<ColormapName, Uint8ClampedArray>();

/** 256 x RGB lookup table for a colormap. */
export function lut(name: ColormapName): Uint8ClampedArray {
  const have = cache.get(name);
  if (have) return have;
  const fn = COLORMAPS[name];
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = rgb(fn(i / 255));
    out[i * 3] = c.r;
    out[i * 3 + 1] = c.g;
    out[i * 3 + 2] = c.b;
  }
  cache.set(name, out);
  return out;
}

/** CSS gradient for legends. */
export function cssGradient(name: ColormapName, stops = 8): string {
  const fn = COLORMAPS[name];
  const parts: string[] = [];
  for (let i = 0; i <= stops; i++) parts.push(`${rgb(fn(i / stops)).formatHex()} ${(i / stops) * 100}%`);
  return `linear-gradient(to right, ${parts.join(', ')})`;
}
