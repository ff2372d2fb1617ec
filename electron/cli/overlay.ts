// The PNG heatmap overlay of `loupe inspect`, written with sharp: the attention grid coloured with a
// d3 colormap (the same ones the renderer offers), stretched over the EXIF-oriented image (each cell
// covers imageWidth/gridW x imageHeight/gridH original pixels, see GridGeometry), plus the key box.
import { interpolateInferno, interpolateMagma, interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';
import sharp, { type OverlayOptions as SharpOverlay } from 'sharp';
import type { Box, PreprocessProtocol } from '../contract/types.js';
import { encodeForDisplay } from '../engine/image/decode.js';
import { usageError } from './exit-codes.js';

export const COLORMAPS = {
  inferno: interpolateInferno,
  magma: interpolateMagma,
  viridis: interpolateViridis,
  turbo: interpolateTurbo,
} as const;
export type ColormapName = keyof typeof COLORMAPS;

export function parseColormap(value: string | undefined): ColormapName {
  if (value === undefined) return 'inferno';
  if (value in COLORMAPS) return value as ColormapName;
  throw usageError(`--colormap must be one of ${Object.keys(COLORMAPS).join(', ')}; got "${value}".`);
}

export interface OverlayOptions {
  imagePath: string;
  /** Row-major gridH x gridW map (any non-negative scale; normalised to its own min..max). */
  values: ArrayLike<number>;
  gridH: number;
  gridW: number;
  box?: Box;
  /** The self-zoom crop, drawn dashed in another colour beside the key box. */
  cropBox?: Box;
  out: string;
  colormap?: ColormapName;
  /** Peak opacity of the heatmap, 0..1 (default 0.6). */
  opacity?: number;
  /** 'smooth' (bicubic) or 'cells' (nearest: shows the token grid). Default smooth. */
  mode?: 'smooth' | 'cells';
  /** The frame of the grid and box: EXIF applied under hf (default), the stored pixels under paper. */
  protocol?: PreprocessProtocol;
}

function rgb(color: string): [number, number, number] {
  if (color.startsWith('#')) return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(color);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [255, 0, 255];
}

/** RGBA pixels at grid resolution: colour by value, opacity rising with value so low attention stays see-through. */
export function heatPixels(values: ArrayLike<number>, colormap: ColormapName, opacity: number): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const span = hi > lo ? hi - lo : 1;
  const ramp = COLORMAPS[colormap];
  const out = new Uint8Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const t = (values[i] - lo) / span;
    const [r, g, b] = rgb(ramp(t));
    out.set([r, g, b, Math.round(255 * opacity * (0.15 + 0.85 * t))], i * 4);
  }
  return out;
}

export async function writeOverlay(options: OverlayOptions): Promise<{ path: string; width: number; height: number }> {
  const { gridH, gridW } = options;
  if (options.values.length !== gridH * gridW) throw new Error(`overlay: ${options.values.length} values for a ${gridH}x${gridW} grid`);
  const shown = await encodeForDisplay({ path: options.imagePath }, { protocol: options.protocol ?? 'hf' });
  const base = await sharp(shown.bytes).png().toBuffer({ resolveWithObject: true });
  const { width, height } = base.info;
  const heat = await sharp(heatPixels(options.values, options.colormap ?? 'inferno', options.opacity ?? 0.6), {
    raw: { width: gridW, height: gridH, channels: 4 },
  })
    .resize(width, height, { fit: 'fill', kernel: options.mode === 'cells' ? 'nearest' : 'cubic' })
    .png()
    .toBuffer();
  const layers: SharpOverlay[] = [{ input: heat }];
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const rect = ([x1, y1, x2, y2]: Box, colour: string, dash: string) =>
    `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${colour}" stroke-width="${stroke}"${dash}/>`;
  const rects = [
    ...(options.box ? [rect(options.box, '#00e5ff', '')] : []),
    ...(options.cropBox ? [rect(options.cropBox, '#ffd400', ` stroke-dasharray="${stroke * 4} ${stroke * 2}"`)] : []),
  ];
  if (rects.length > 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects.join('')}</svg>`;
    layers.push({ input: Buffer.from(svg) });
  }
  await sharp(base.data).composite(layers).png().toFile(options.out);
  return { path: options.out, width, height };
}
