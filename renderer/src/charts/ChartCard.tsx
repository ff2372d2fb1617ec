// A titled chart with SVG and PNG export buttons.
import { useRef, type ReactNode } from 'react';
import { saveBlob, saveText, safeName } from '../export/download.js';
import { standaloneSvg, svgToPng } from '../export/svg.js';

export function ChartCard({ title, children, testId, note }: { title: string; children: ReactNode; testId?: string; note?: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const svg = () => ref.current?.querySelector('svg') ?? null;
  return (
    <div className="card" data-testid={testId}>
      <div className="chart-card-head">
        <div className="chart-title">{title}</div>
        <button aria-label={`Export ${title} as SVG`} onClick={() => { const s = svg(); if (s) saveText(standaloneSvg(s), `${safeName(title)}.svg`, 'image/svg+xml'); }}>
          SVG
        </button>
        <button aria-label={`Export ${title} as PNG`} onClick={() => { const s = svg(); if (s) void svgToPng(s).then((b) => saveBlob(b, `${safeName(title)}.png`)); }}>
          PNG
        </button>
      </div>
      <div ref={ref}>{children}</div>
      {note ? <div className="muted small">{note}</div> : null}
    </div>
  );
}
