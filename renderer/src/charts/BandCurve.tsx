// A curve with its confidence band (e.g. mean coverage per layer with the bootstrap 95% CI).
import { area, line, scaleLinear } from 'd3';
import { Axis, MARGIN } from './Axis.js';

interface BandPoint {
  x: number;
  mean: number;
  lo: number;
  hi: number;
}

export function BandCurve({
  points,
  width = 420,
  height = 220,
  xLabel,
  yLabel,
  baseline,
  format = (v) => `${(v * 100).toFixed(0)}%`,
}: {
  points: BandPoint[];
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  baseline?: number;
  format?: (v: number) => string;
}) {
  const iw = width - MARGIN.left - MARGIN.right;
  const ih = height - MARGIN.top - MARGIN.bottom;
  const xs = points.map((p) => p.x);
  const x = scaleLinear()
    .domain([Math.min(...xs), Math.max(Math.max(...xs), Math.min(...xs) + 1)])
    .range([0, iw]);
  const y = scaleLinear()
    .domain([0, Math.max(baseline ?? 0, ...points.map((p) => p.hi), 1e-6) * 1.1])
    .nice()
    .range([ih, 0]);
  const band =
    area<BandPoint>()
      .x((p) => x(p.x))
      .y0((p) => y(p.lo))
      .y1((p) => y(p.hi))(points) ?? '';
  const mean =
    line<BandPoint>()
      .x((p) => x(p.x))
      .y((p) => y(p.mean))(points) ?? '';
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={yLabel ?? 'curve'}>
      <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
        <Axis scale={x} orient="bottom" y={ih} ticks={Math.min(points.length, 10)} format={(d) => String(d)} label={xLabel} />
        <Axis scale={y} orient="left" ticks={5} format={(d) => format(Number(d))} label={yLabel} />
        {baseline !== undefined ? <line className="baseline" x1={0} x2={iw} y1={y(baseline)} y2={y(baseline)} /> : null}
        <path className="band" d={band} />
        <path className="series s1" d={mean} />
        {points.map((p) => (
          <circle key={p.x} className="s1" cx={x(p.x)} cy={y(p.mean)} r={3}>
            <title>
              {xLabel} {p.x}: {format(p.mean)} [{format(p.lo)}, {format(p.hi)}]
            </title>
          </circle>
        ))}
      </g>
    </svg>
  );
}
