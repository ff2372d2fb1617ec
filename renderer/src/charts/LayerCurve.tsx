// Coverage of the key box at every layer (paper and area-exact), the uniform baseline, and the current
// layer. Clicking a layer selects it.
import { useMemo } from 'react';
import { line, scaleLinear } from 'd3';
import type { LayerMetrics } from '../../../electron/contract/types.js';
import { Axis, MARGIN } from './Axis.js';
import { LEGEND_ROW, legendLayout } from './legend.js';

const KEYS = [
  { label: '● paper', cls: 's1' },
  { label: '● area-exact', cls: 's2' },
  { label: '– – uniform (box share)', cls: 'baseline-label' },
];

export function LayerCurve({
  byLayer,
  areaShare,
  layer,
  layerTo = layer,
  onLayer,
  width = 320,
  height = 180,
}: {
  byLayer: LayerMetrics[];
  areaShare: number;
  /** 0-based selected layer (the first of a range). */
  layer: number;
  /** 0-based last layer of a selected range. */
  layerTo?: number;
  onLayer: (l: number) => void;
  width?: number;
  height?: number;
}) {
  const n = byLayer.length;
  const iw = width - MARGIN.left - MARGIN.right;
  const legend = legendLayout(
    KEYS.map((k) => k.label),
    iw,
  );
  const top = MARGIN.top + legend.rows * LEGEND_ROW + 4;
  const ih = height - top - MARGIN.bottom;
  const x = useMemo(
    () =>
      scaleLinear()
        .domain([1, Math.max(2, n)])
        .range([0, iw]),
    [n, iw],
  );
  const yMax = Math.max(areaShare * 1.2, ...byLayer.map((m) => Math.max(m.coveragePaper, m.coverageArea)), 0.05);
  const y = useMemo(
    () =>
      scaleLinear()
        .domain([0, Math.min(1, yMax * 1.1)])
        .nice()
        .range([ih, 0]),
    [yMax, ih],
  );
  const path = (key: 'coveragePaper' | 'coverageArea') =>
    line<LayerMetrics>()
      .x((_, i) => x(i + 1))
      .y((m) => y(m[key]))(byLayer) ?? '';
  const fmtPct = (d: number | { valueOf(): number }) => `${Math.round(Number(d) * 100)}%`;
  return (
    <svg className="chart layer-curve" width={width} height={height} role="img" aria-label="Coverage per layer" data-testid="layer-curve">
      <g transform={`translate(${MARGIN.left},${top})`}>
        <Axis scale={x} orient="bottom" y={ih} ticks={Math.min(n, 8)} format={(d) => String(d)} label="layer" />
        <Axis scale={y} orient="left" ticks={4} format={fmtPct} label="coverage" />
        <line className="baseline" x1={0} x2={iw} y1={y(areaShare)} y2={y(areaShare)}>
          <title>Box area share (uniform attention)</title>
        </line>
        {layerTo > layer ? <rect className="range" x={x(layer + 1)} width={x(layerTo + 1) - x(layer + 1)} y={0} height={ih} /> : null}
        <line className="cursor" x1={x(layer + 1)} x2={x(layer + 1)} y1={0} y2={ih} />
        <path className="series s1" d={path('coveragePaper')} />
        <path className="series s2" d={path('coverageArea')} />
        {byLayer.map((m, i) => (
          <g key={i} className="pt" onClick={() => onLayer(i + 1)}>
            <circle className="s1" cx={x(i + 1)} cy={y(m.coveragePaper)} r={i >= layer && i <= layerTo ? 5 : 3}>
              <title>
                Layer {i + 1}: paper {fmtPct(m.coveragePaper)}, area {fmtPct(m.coverageArea)}
              </title>
            </circle>
            <circle className="s2" cx={x(i + 1)} cy={y(m.coverageArea)} r={i >= layer && i <= layerTo ? 4 : 2.5} />
          </g>
        ))}
      </g>
      <g className="chart-legend" transform={`translate(${MARGIN.left},${MARGIN.top})`}>
        {legend.items.map((it, i) => (
          <text key={it.label} className={KEYS[i].cls} x={it.x} y={it.row * LEGEND_ROW + 9}>
            {it.label}
          </text>
        ))}
      </g>
    </svg>
  );
}
