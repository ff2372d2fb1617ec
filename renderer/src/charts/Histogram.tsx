// Histogram of values (e.g. per-item coverage), with optional vertical markers.
import { bin, scaleLinear } from 'd3';
import { Axis, MARGIN } from './Axis.js';
import { LEGEND_ROW, stackLabels } from './legend.js';

export function Histogram({
  values,
  width = 420,
  height = 220,
  bins = 20,
  xLabel,
  domain,
  markers = [],
  format = (v) => `${(v * 100).toFixed(0)}%`,
  cls,
}: {
  values: number[];
  width?: number;
  height?: number;
  bins?: number;
  xLabel?: string;
  domain?: [number, number];
  markers?: { value: number; label: string }[];
  format?: (v: number) => string;
  cls?: string;
}) {
  const iw = width - MARGIN.left - MARGIN.right;
  const lo = domain?.[0] ?? Math.min(0, ...values, ...markers.map((m) => m.value));
  const hi = domain?.[1] ?? Math.max(1e-6, ...values, ...markers.map((m) => m.value));
  const x = scaleLinear().domain([lo, hi]).nice().range([0, iw]);
  // Marker labels above the plot, on rows of their own when they would collide, never over the bars.
  const labelRows = stackLabels(markers.map((m) => ({ x: x(m.value), text: m.label })));
  const rows = markers.length ? Math.max(...labelRows) + 1 : 0;
  const top = MARGIN.top + rows * LEGEND_ROW;
  const ih = height - top - MARGIN.bottom;
  const b = bin()
    .domain(x.domain() as [number, number])
    .thresholds(x.ticks(bins))(values);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...b.map((d) => d.length))])
    .nice()
    .range([ih, 0]);
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={`Histogram of ${xLabel ?? 'values'}`}>
      <g transform={`translate(${MARGIN.left},${top})`}>
        <Axis scale={x} orient="bottom" y={ih} ticks={6} format={(d) => format(Number(d))} label={xLabel} />
        <Axis
          scale={y}
          orient="left"
          ticks={Math.min(4, y.domain()[1])}
          label="items"
          format={(d) => (Number.isInteger(Number(d)) ? String(d) : '')}
        />
        {b.map((d, i) => (
          <rect
            key={i}
            className={`bar ${cls ?? ''}`}
            x={x(d.x0 ?? 0) + 1}
            width={Math.max(0, x(d.x1 ?? 0) - x(d.x0 ?? 0) - 1)}
            y={y(d.length)}
            height={ih - y(d.length)}
          >
            <title>
              {format(d.x0 ?? 0)}–{format(d.x1 ?? 0)}: {d.length}
            </title>
          </rect>
        ))}
        {markers.map((m, i) => (
          <g key={m.label}>
            <line className="baseline" x1={x(m.value)} x2={x(m.value)} y1={-(rows - labelRows[i]) * LEGEND_ROW + 11} y2={ih} />
            <text className="baseline-label" x={x(m.value)} y={-(rows - labelRows[i]) * LEGEND_ROW + 9} textAnchor="middle">
              {m.label}
            </text>
          </g>
        ))}
      </g>
    </svg>
  );
}
