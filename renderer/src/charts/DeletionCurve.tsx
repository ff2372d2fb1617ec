// Deletion curves (docs/metrics.md "Faithfulness"): the probability of the original answer's first token
// as more of the image is removed, for each layer's most attended cells and for random cells (mean of the
// seeds), plus the key box as a single point. Lower = the removed cells mattered more.
import { useMemo } from 'react';
import { line, scaleLinear } from 'd3';
import { Axis, MARGIN } from './Axis.js';
import { LEGEND_ROW, legendLayout } from './legend.js';

export interface CurveSeries {
  label: string;
  /** 'attention' series are solid in the accent colours; 'random' dashed grey. */
  kind: 'attention' | 'random';
  points: { fraction: number; prob: number }[];
}

const pct = (d: number | { valueOf(): number }) => `${Math.round(Number(d) * 100)}%`;

export function DeletionCurve({
  series,
  box,
  width = 320,
  height = 200,
}: {
  series: CurveSeries[];
  box?: { fraction: number; prob: number };
  width?: number;
  height?: number;
}) {
  const iw = width - MARGIN.left - MARGIN.right;
  const labels = [...series.map((s) => `${s.kind === 'random' ? '– –' : '●'} ${s.label}`), ...(box ? ['◆ key box'] : [])];
  const legend = legendLayout(labels, iw);
  const top = MARGIN.top + legend.rows * LEGEND_ROW + 4;
  const ih = height - top - MARGIN.bottom;
  const maxF = Math.max(0.05, box?.fraction ?? 0, ...series.flatMap((s) => s.points.map((p) => p.fraction)));
  const x = useMemo(() => scaleLinear().domain([0, maxF]).nice().range([0, iw]), [maxF, iw]);
  const y = useMemo(() => scaleLinear().domain([0, 1]).range([ih, 0]), [ih]);
  const path = (pts: CurveSeries['points']) =>
    line<{ fraction: number; prob: number }>()
      .x((p) => x(p.fraction))
      .y((p) => y(p.prob))(pts) ?? '';
  let attention = 0;
  const cls = (s: CurveSeries) => (s.kind === 'random' ? 'baseline' : `series ${attention++ % 2 === 0 ? 's1' : 's2'}`);
  const classes = series.map(cls);
  return (
    <svg
      className="chart deletion-curve"
      width={width}
      height={height}
      role="img"
      aria-label="Deletion curves"
      data-testid="deletion-curve"
    >
      <g transform={`translate(${MARGIN.left},${top})`}>
        <Axis scale={x} orient="bottom" y={ih} ticks={5} format={pct} label="share of visual cells removed" />
        <Axis scale={y} orient="left" ticks={4} format={pct} label="first-token prob." />
        {series.map((s, i) => (
          <g key={s.label}>
            <path className={classes[i]} d={path(s.points)} fill="none" />
            {s.points.map((p) => (
              <circle key={p.fraction} className={classes[i].includes('s2') ? 's2' : 's1'} cx={x(p.fraction)} cy={y(p.prob)} r={2.5}>
                <title>
                  {s.label}: {pct(p.fraction)} removed, probability {pct(p.prob)}
                </title>
              </circle>
            ))}
          </g>
        ))}
        {box ? (
          <rect
            className="s2"
            x={x(box.fraction) - 4}
            y={y(box.prob) - 4}
            width={8}
            height={8}
            transform={`rotate(45 ${x(box.fraction)} ${y(box.prob)})`}
          >
            <title>
              Key box removed ({pct(box.fraction)} of cells): probability {pct(box.prob)}
            </title>
          </rect>
        ) : null}
      </g>
      <g className="chart-legend" transform={`translate(${MARGIN.left},${MARGIN.top})`}>
        {legend.items.map((it, i) => (
          <text
            key={it.label}
            className={i < series.length ? (classes[i].includes('s2') ? 's2' : classes[i] === 'baseline' ? 'baseline-label' : 's1') : 's2'}
            x={it.x}
            y={it.row * LEGEND_ROW + 9}
          >
            {it.label}
          </text>
        ))}
      </g>
    </svg>
  );
}

/** The random curves' mean probability at each fraction (they share their fractions). */
export function meanCurve(curves: { points: { fraction: number; prob: number }[] }[]): { fraction: number; prob: number }[] {
  const first = curves[0];
  if (!first) return [];
  return first.points.map((p, i) => ({
    fraction: p.fraction,
    prob: curves.reduce((a, c) => a + (c.points[i]?.prob ?? 0), 0) / curves.length,
  }));
}
