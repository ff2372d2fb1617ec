// A d3 axis rendered into a React-owned <g>: React owns the chart, d3 draws ticks.
import { useLayoutEffect, useRef } from 'react';
import { axisBottom, axisLeft, select, type AxisDomain, type AxisScale } from 'd3';

export function Axis<D extends AxisDomain>({
  scale,
  orient,
  x = 0,
  y = 0,
  ticks,
  format,
  label,
}: {
  scale: AxisScale<D>;
  orient: 'bottom' | 'left';
  x?: number;
  y?: number;
  ticks?: number;
  format?: (d: D) => string;
  label?: string;
}) {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (!ref.current) return;
    const ax = orient === 'bottom' ? axisBottom(scale) : axisLeft(scale);
    if (ticks !== undefined) ax.ticks(ticks);
    if (format) ax.tickFormat(format as (d: D, i: number) => string);
    select(ref.current).call(ax);
  }, [scale, orient, ticks, format]);
  return (
    <g className="axis" transform={`translate(${x},${y})`}>
      <g ref={ref} />
      {label ? (
        orient === 'bottom' ? (
          <text className="axis-label" x={(scale.range()[0] + scale.range()[1]) / 2} y={30} textAnchor="middle">
            {label}
          </text>
        ) : (
          <text className="axis-label" transform="rotate(-90)" x={-(scale.range()[0] + scale.range()[1]) / 2} y={-36} textAnchor="middle">
            {label}
          </text>
        )
      ) : null}
    </g>
  );
}

export const MARGIN = { top: 12, right: 12, bottom: 36, left: 46 };
