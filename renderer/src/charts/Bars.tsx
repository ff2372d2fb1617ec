// Grouped bars (e.g. global vs regional accuracy per dimension), negative values allowed (gaps).
import { scaleBand, scaleLinear } from 'd3';
import { Axis, MARGIN } from './Axis.js';
import { LEGEND_ROW, legendLayout } from './legend.js';

interface BarGroup {
  label: string;
  bars: { key: string; value: number; cls?: string; title?: string }[];
}

export function Bars({
  groups,
  width = 420,
  height = 220,
  yLabel,
  format = (v) => v.toFixed(0),
  domain,
}: {
  groups: BarGroup[];
  width?: number;
  height?: number;
  yLabel?: string;
  format?: (v: number) => string;
  domain?: [number, number];
}) {
  const iw = width - MARGIN.left - MARGIN.right;
  const keys = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.key)))];
  // The legend sits above the plot (never over a bar), with room for the value labels over the tallest bars.
  const legend = legendLayout(keys.length > 1 ? keys.map((k) => `■ ${k}`) : [], iw);
  const top = MARGIN.top + legend.rows * LEGEND_ROW + 10;
  const ih = height - top - MARGIN.bottom;
  const vals = groups.flatMap((g) => g.bars.map((b) => b.value));
  const lo = domain?.[0] ?? Math.min(0, ...vals);
  const hi = domain?.[1] ?? Math.max(1e-9, ...vals);
  const x = scaleBand()
    .domain(groups.map((g) => g.label))
    .range([0, iw])
    .padding(0.2);
  const xi = scaleBand().domain(keys).range([0, x.bandwidth()]).padding(0.08);
  const y = scaleLinear().domain([lo, hi]).nice().range([ih, 0]);
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={yLabel ?? 'bar chart'}>
      <g transform={`translate(${MARGIN.left},${top})`}>
        <Axis scale={y} orient="left" ticks={5} label={yLabel} format={(d) => format(Number(d))} />
        <Axis scale={x} orient="bottom" y={ih} />
        <line className="zero" x1={0} x2={iw} y1={y(0)} y2={y(0)} />
        {groups.map((g) => (
          <g key={g.label} transform={`translate(${x(g.label) ?? 0},0)`}>
            {g.bars.map((b) => (
              <g key={b.key}>
                <rect
                  className={`bar ${b.cls ?? ''} ${b.value < 0 ? 'neg' : ''}`}
                  x={xi(b.key)}
                  width={xi.bandwidth()}
                  y={y(Math.max(0, b.value))}
                  height={Math.abs(y(b.value) - y(0))}
                >
                  <title>{b.title ?? `${g.label} · ${b.key}: ${format(b.value)}`}</title>
                </rect>
                {xi.bandwidth() > 18 ? (
                  <text x={(xi(b.key) ?? 0) + xi.bandwidth() / 2} y={y(Math.max(0, b.value)) - 3} textAnchor="middle" className="bar-label">
                    {format(b.value)}
                  </text>
                ) : null}
              </g>
            ))}
          </g>
        ))}
      </g>
      <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
        {legend.items.map((it, i) => (
          <text
            key={it.label}
            x={it.x}
            y={it.row * LEGEND_ROW + 9}
            className={`legend-key ${groups[0]?.bars.find((b) => b.key === keys[i])?.cls ?? ''}`}
          >
            {it.label}
          </text>
        ))}
      </g>
    </svg>
  );
}
