// Per-group dots with mean and CI whiskers (e.g. coverage of correct vs wrong answers).
import { scaleBand, scaleLinear } from 'd3';
import type { CiStat } from '../../../electron/contract/types.js';
import { Axis, MARGIN } from './Axis.js';
import { LEGEND_ROW } from './legend.js';

export function Strip({
  groups,
  width = 420,
  height = 220,
  yLabel,
  format = (v) => `${(v * 100).toFixed(0)}%`,
}: {
  groups: { label: string; values: number[]; ci?: CiStat; cls?: string }[];
  width?: number;
  height?: number;
  yLabel?: string;
  format?: (v: number) => string;
}) {
  const iw = width - MARGIN.left - MARGIN.right;
  // Each group's mean and n are written above the plot, so they never cover its dots.
  const top = MARGIN.top + LEGEND_ROW;
  const ih = height - top - MARGIN.bottom;
  const x = scaleBand()
    .domain(groups.map((g) => g.label))
    .range([0, iw])
    .padding(0.3);
  // Coverage-like values: at least 0..5% so an empty or all-zero group still gets a readable axis.
  const y = scaleLinear()
    .domain([0, Math.max(0.05, ...groups.flatMap((g) => [...g.values, g.ci?.hi ?? 0])) * 1.05])
    .nice()
    .range([ih, 0]);
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={yLabel ?? 'strip plot'}>
      <g transform={`translate(${MARGIN.left},${top})`}>
        <Axis scale={y} orient="left" ticks={5} format={(d) => format(Number(d))} label={yLabel} />
        <Axis scale={x} orient="bottom" y={ih} />
        {groups.map((g) => {
          const x0 = x(g.label) ?? 0;
          const bw = x.bandwidth();
          return (
            <g key={g.label}>
              {g.values.length === 0 ? (
                <text x={x0 + bw / 2} y={ih / 2} textAnchor="middle" className="bar-label">
                  no items
                </text>
              ) : null}
              {g.values.map((v, i) => (
                // Deterministic jitter (golden-ratio sequence): the plot looks the same on every render.
                <circle key={i} className={`dot ${g.cls ?? ''}`} cx={x0 + bw * (0.15 + 0.7 * ((i * 0.618034) % 1))} cy={y(v)} r={2.5} />
              ))}
              {g.ci && g.ci.n > 0 ? (
                <g className="ci">
                  <line className="series s1" x1={x0 + bw / 2} x2={x0 + bw / 2} y1={y(g.ci.lo)} y2={y(g.ci.hi)} />
                  <line className="series s1" x1={x0 + bw * 0.3} x2={x0 + bw * 0.7} y1={y(g.ci.mean)} y2={y(g.ci.mean)} />
                  <text x={x0 + bw / 2} y={-5} textAnchor="middle" className="bar-label">
                    mean {format(g.ci.mean)} [{format(g.ci.lo)}, {format(g.ci.hi)}] · n={g.ci.n}
                  </text>
                </g>
              ) : null}
            </g>
          );
        })}
      </g>
    </svg>
  );
}
