// A heatmap overlay as a PNG fit for a paper: the image (at least 800 px wide), the heatmap upsampled as
// on screen, the key box, and below them a colour bar with its values and a caption that says what the
// picture is (model, image, layer, heads, token, scale, protocol, box, coverage).
import type { Box } from '../../../electron/contract/types.js';
import { lut, type ColormapName } from '../heatmap/colormaps.js';
import { formatValue } from '../heatmap/scale.js';
import { canvasToBlob } from './download.js';

interface OverlayColorBar {
  colormap: ColormapName;
  /** Values at the two ends of the colours. */
  lo: number;
  hi: number;
  units: string;
  /** The scale's rule ("0 to the 99th percentile of layer 3"). */
  rule: string;
}

const MIN_WIDTH = 800;

/** Greedy word wrap: lines no wider than maxWidth as measured (a word longer than a line gets its own). */
export function wrapLines(text: string, maxWidth: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure(next) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

export async function overlayPng(opts: {
  image: HTMLImageElement;
  overlay: HTMLCanvasElement | null;
  width: number;
  height: number;
  smooth: boolean;
  box?: Box | null;
  colorBar: OverlayColorBar;
  caption: string;
}): Promise<Blob> {
  const scale = Math.max(1, MIN_WIDTH / opts.width);
  const W = Math.round(opts.width * scale);
  const H = Math.round(opts.height * scale);
  const font = Math.max(13, Math.round(W / 70));
  const pad = Math.round(font * 0.8);
  const measureCtx = document.createElement('canvas').getContext('2d')!;
  measureCtx.font = `${font}px system-ui, sans-serif`;
  const captionLines = wrapLines(opts.caption, W - 2 * pad, (s) => measureCtx.measureText(s).width);
  const barH = Math.round(font * 0.9);
  const footer = pad + barH + font * 1.6 + captionLines.length * font * 1.35 + pad;

  const c = document.createElement('canvas');
  c.width = W;
  c.height = Math.round(H + footer);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(opts.image, 0, 0, W, H);
  if (opts.overlay) {
    ctx.imageSmoothingEnabled = opts.smooth;
    ctx.drawImage(opts.overlay, 0, 0, W, H);
  }
  if (opts.box) {
    const [x1, y1, x2, y2] = opts.box.map((v) => v * scale);
    ctx.strokeStyle = '#00e5ff';
    ctx.lineWidth = Math.max(2, Math.round(Math.min(W, H) / 300));
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  }

  // Colour bar: the colormap's 256 entries across the bar, values at both ends and the middle.
  const barW = Math.round(W * 0.45);
  const top = H + pad;
  const table = lut(opts.colorBar.colormap);
  for (let x = 0; x < barW; x++) {
    const k = Math.round((x / Math.max(1, barW - 1)) * 255) * 3;
    ctx.fillStyle = `rgb(${table[k]},${table[k + 1]},${table[k + 2]})`;
    ctx.fillRect(pad + x, top, 1, barH);
  }
  ctx.strokeStyle = '#444';
  ctx.lineWidth = 1;
  ctx.strokeRect(pad + 0.5, top + 0.5, barW - 1, barH - 1);
  ctx.fillStyle = '#111';
  ctx.font = `${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const { lo, hi } = opts.colorBar;
  const tickY = top + barH + 2;
  ctx.textAlign = 'left';
  ctx.fillText(formatValue(lo), pad, tickY);
  ctx.textAlign = 'center';
  ctx.fillText(formatValue((lo + hi) / 2), pad + barW / 2, tickY);
  ctx.textAlign = 'right';
  ctx.fillText(formatValue(hi), pad + barW, tickY);
  ctx.textAlign = 'left';
  const legend = `${opts.colorBar.units}: ${opts.colorBar.rule}`;
  const legendLines = wrapLines(legend, W - barW - 3 * pad, (s) => ctx.measureText(s).width);
  legendLines.slice(0, 2).forEach((l, i) => ctx.fillText(l, pad * 2 + barW, top + i * font * 1.2));
  let y = tickY + font * 1.6;
  for (const line of captionLines) {
    ctx.fillText(line, pad, y);
    y += font * 1.35;
  }
  return canvasToBlob(c);
}
