// Paints a [0,1] grid into RGBA pixels, one pixel per token cell. The canvas is then stretched over the
// image by CSS (bilinear for "smooth", nearest for "cells"), so a repaint touches gridH*gridW pixels only.
import { lut, type ColormapName } from './colormaps.js';

export interface PaintOptions {
  colormap: ColormapName;
  /** 0..1 */
  opacity: number;
  /** Cells whose display value is below this (0..1) are transparent. */
  threshold: number;
  /** Display values at or below lo get the first colour, at or above hi the last. */
  lo: number;
  hi: number;
}

function paintInto(values: Float32Array, opts: PaintOptions, out: Uint8ClampedArray): void {
  const table = lut(opts.colormap);
  const alpha = Math.round(opts.opacity * 255);
  const span = Math.max(1e-9, opts.hi - opts.lo);
  for (let i = 0, p = 0; i < values.length; i++, p += 4) {
    const v = values[i];
    if (v < opts.threshold || !(v === v)) {
      out[p + 3] = 0;
      continue;
    }
    let t = (v - opts.lo) / span;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const k = Math.round(t * 255) * 3;
    out[p] = table[k];
    out[p + 1] = table[k + 1];
    out[p + 2] = table[k + 2];
    out[p + 3] = alpha;
  }
}

/** Paints onto a canvas whose width/height equal the grid (resizing it when needed). */
export function paintCanvas(canvas: HTMLCanvasElement, values: Float32Array, gridW: number, gridH: number, opts: PaintOptions): void {
  if (canvas.width !== gridW) canvas.width = gridW;
  if (canvas.height !== gridH) canvas.height = gridH;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(gridW, gridH);
  paintInto(values, opts, img.data);
  ctx.putImageData(img, 0, 0);
}
