// Composes the image, the heatmap (upsampled like on screen) and the box into one PNG at the image's
// original resolution.
import type { Box } from '../../../electron/contract/types.js';
import { canvasToBlob } from './download.js';

export async function overlayPng(opts: {
  image: HTMLImageElement;
  overlay: HTMLCanvasElement | null;
  width: number;
  height: number;
  smooth: boolean;
  box?: Box | null;
}): Promise<Blob> {
  const c = document.createElement('canvas');
  c.width = opts.width;
  c.height = opts.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(opts.image, 0, 0, opts.width, opts.height);
  if (opts.overlay) {
    ctx.imageSmoothingEnabled = opts.smooth;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(opts.overlay, 0, 0, opts.width, opts.height);
  }
  if (opts.box) {
    const [x1, y1, x2, y2] = opts.box;
    ctx.strokeStyle = '#00e5ff';
    ctx.lineWidth = Math.max(2, Math.round(Math.min(opts.width, opts.height) / 300));
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  }
  return canvasToBlob(c);
}
