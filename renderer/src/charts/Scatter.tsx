// Paired scatter (before vs after), with the y = x diagonal; clicking a dot reports its id.
import { scaleLinear } from 'd3';
import { Axis, MARGIN } from './Axis.js';

interface ScatterPoint {
  id: string;
  x: number;
  y: number;
  cls?: string;
}

export function Scatter({
  points,
  width = 320,
  height = 300,
  xLabel,
  yLabel,
  onPick,
  format = (v) => `${(v * 100).toFixed(0)}%`,
}: {
  points: ScatterPoint[];
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  onPick?: (id: string) => void;
  format?: (v: number) => string;
}) {
  const iw = width - MARGIN.left - MARGIN.right;
  const ih = height - MARGIN.top - MARGIN.bottom;
  const hi = Math.max(1e-6, ...points.flatMap((p) => [p.x, p.y])) * 1.05;
  const x = scaleLinear().domain([0, hi]).nice().range([0, iw]);
  const y = scaleLinear().domain(x.domain()).range([ih, 0]);
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={`${yLabel} against ${xLabel}`}>
      <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
        <Axis scale={x} orient="bottom" y={ih} ticks={5} format={(d) => format(Number(d))} label={xLabel} />
        <Axis scale={y} orient="left" ticks={5} format={(d) => format(Number(d))} label={yLabel} />
        <line className="diag" x1={0} y1={ih} x2={iw} y2={0} />
        {points.map((p) => (
          <circle
            key={p.id}
            className={`dot ${p.cls ?? ''}`}
            cx={x(p.x)}
            cy={y(p.y)}
            r={3}
            onClick={() => onPick?.(p.id)}
            style={{ cursor: onPick ? 'pointer' : undefined }}
          >
            <title>
              {p.id}: {format(p.x)} → {format(p.y)}
            </title>
          </circle>
        ))}
      </g>
    </svg>
  );
}
