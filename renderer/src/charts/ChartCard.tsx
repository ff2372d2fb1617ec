// A titled chart with SVG and PNG export buttons. The exported file carries the title and caption (what
// the numbers measure) above the chart, and a name that says model, bench and date.
import { useRef, type ReactNode } from 'react';
import { useElementSize } from '../util/useElementSize.js';
import { saveBlob, saveText } from '../export/download.js';
import { standaloneSvg, svgToPng } from '../export/svg.js';
import { safePart } from '../../../electron/engine/formats/names.js';

/** `children` gets the card's inner width (and a height that grows with it) so charts fill their column at any window size. */
export function ChartCard({
  title,
  children,
  testId,
  note,
  caption,
  fileBase,
}: {
  title: string;
  children: (width: number, height: number) => ReactNode;
  testId?: string;
  note?: ReactNode;
  /** Written under the title in exports (what the numbers are; model, bench). */
  caption?: string;
  /** File name without extension ("<model>_<bench>_<date>"); the chart's title is appended. */
  fileBase?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(ref);
  const svg = () => ref.current?.querySelector('svg') ?? null;
  const name = (ext: string) => `${fileBase ? `${fileBase}_` : ''}${safePart(title)}.${ext}`;
  const text = caption ? `${title}. ${caption}` : title;
  return (
    <div className="card" data-testid={testId}>
      <div className="chart-card-head">
        <div className="chart-title">{title}</div>
        <button
          aria-label={`Export ${title} as SVG`}
          onClick={() => {
            const s = svg();
            if (s) saveText(standaloneSvg(s, text), name('svg'), 'image/svg+xml');
          }}
        >
          SVG
        </button>
        <button
          aria-label={`Export ${title} as PNG`}
          onClick={() => {
            const s = svg();
            if (s) void svgToPng(s, text).then((b) => saveBlob(b, name('png')));
          }}
        >
          PNG
        </button>
      </div>
      <div ref={ref} className="chart-body">
        {width > 0 ? children(Math.max(240, width), Math.round(Math.min(440, Math.max(220, width * 0.42)))) : null}
      </div>
      {note ? <div className="muted small">{note}</div> : null}
    </div>
  );
}
