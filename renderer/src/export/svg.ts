// Exports a chart as a standalone SVG or PNG. On screen the charts take their colours from CSS
// variables and classes; a saved file has neither, so the computed styles are copied inline first.
// The chart's title (with what its numbers measure) is written above it, so the file says what it shows.
import { canvasToBlob } from './download.js';

const PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-size',
  'font-family',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
];

const CAPTION_LINE = 16;

export function standaloneSvg(svg: SVGSVGElement, caption = ''): string {
  return standaloneSvgSized(svg, caption).text;
}

function standaloneSvgSized(svg: SVGSVGElement, caption: string): { text: string; width: number; height: number } {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
  src.forEach((el, i) => {
    const cs = getComputedStyle(el);
    const style = PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
    (dst[i] as SVGElement).setAttribute('style', style);
  });
  const { width, height } = svg.getBoundingClientRect();
  const ns = 'http://www.w3.org/2000/svg';
  // The caption on lines of its own above the chart, wrapped at the chart's width (about 6.5 px a character).
  const lines = caption ? wrapByChars(caption, Math.max(20, Math.floor(width / 6.5))) : [];
  const capH = lines.length ? lines.length * CAPTION_LINE + 6 : 0;
  if (capH) {
    const body = document.createElementNS(ns, 'g');
    body.setAttribute('transform', `translate(0,${capH})`);
    while (clone.firstChild) body.appendChild(clone.firstChild);
    clone.appendChild(body);
    const fill = getComputedStyle(document.body).color;
    lines.forEach((line, i) => {
      const t = document.createElementNS(ns, 'text');
      t.setAttribute('x', '4');
      t.setAttribute('y', String(CAPTION_LINE * (i + 1) - 3));
      t.setAttribute('style', `fill:${fill};font-size:12px;font-family:system-ui,sans-serif;font-weight:${i === 0 ? 600 : 400}`);
      t.textContent = line;
      clone.appendChild(t);
    });
  }
  clone.setAttribute('xmlns', ns);
  clone.setAttribute('width', String(Math.ceil(width)));
  clone.setAttribute('height', String(Math.ceil(height + capH)));
  clone.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(height + capH)}`);
  // Paint the theme background so the file reads the same outside the app.
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor);
  clone.insertBefore(bg, clone.firstChild);
  return { text: new XMLSerializer().serializeToString(clone), width: Math.ceil(width), height: Math.ceil(height + capH) };
}

function wrapByChars(text: string, perLine: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > perLine) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

export async function svgToPng(svg: SVGSVGElement, caption = '', scale = 2): Promise<Blob> {
  const { text, width, height } = standaloneSvgSized(svg, caption);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('Could not render the chart to PNG.'));
      img.src = url;
    });
    const c = document.createElement('canvas');
    c.width = Math.ceil(width * scale);
    c.height = Math.ceil(height * scale);
    const ctx = c.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    return await canvasToBlob(c);
  } finally {
    URL.revokeObjectURL(url);
  }
}
