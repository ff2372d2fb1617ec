// A titled chart with SVG and PNG export buttons.
import { useRef, type ReactNode } from 'react';
import { useElementSize } from '../util/useElementSize.js';
import { saveBlob, saveText, safeName } from '../export/download.js';
import { standaloneSvg, svgToPng } from '../export/svg.js';

/** `children` gets the card's inner width so charts fill their column at any window size. */
export function ChartCard({
  title,
  children,
  testId,
  note,
}: {
  title: string;
  children: (width: number) => ReactNode;
  testId?: string;
  note?: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(ref);
  const svg = () => ref.current?.querySelector('svg') ?? null;
  return (
    <div className="card" data-testid={testId}>
      <div className="chart-card-head">
        <div className="chart-title">{title}</div>
        <button
          aria-label={`Export ${title} as SVG`}
          onClick={() => {
            const s = svg();
            if (s) saveText(standaloneSvg(s), `${safeName(title)}.svg`, 'image/svg+xml');
          }}
        >
          SVG
        </button>
        <button
          aria-label={`Export ${title} as PNG`}
          onClick={() => {
            const s = svg();
            if (s) void svgToPng(s).then((b) => saveBlob(b, `${safeName(title)}.png`));
          }}
        >
          PNG
        </button>
      </div>
      <div ref={ref} className="chart-body">
        {width > 0 ? children(Math.max(240, width)) : null}
      </div>
      {note ? <div className="muted small">{note}</div> : null}
    </div>
  );
}
