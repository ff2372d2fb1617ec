// What the colours of a heatmap mean: the gradient, the values at its ends, and the scale's rule
// ("0 to the 99th percentile of layer 3; 2 cells above it are clipped").
import { cssGradient, type ColormapName } from '../heatmap/colormaps.js';
import { clippedCount, formatValue } from '../heatmap/scale.js';
import type { DisplayMap } from '../heatmap/maps.js';
import { NORM_LABELS, layerLabel } from '../selection/labels.js';
import type { ResolvedSelection } from '../selection/selection.js';
import { useHeatmapStore } from '../stores/heatmap.js';

export function scaleText(map: DisplayMap, sel: Pick<ResolvedSelection, 'from' | 'to'>): string {
  const where = map.units === 'activation (relu of the logit lens)' ? 'this token’s map' : layerLabel(sel);
  switch (map.norm) {
    case 'layerMax':
      return `0 to the largest cell of ${where}`;
    case 'shared':
      return `0 to the 99th percentile of all layers (one scale for every layer)`;
    case 'relative':
      return `0 to the 99th percentile of ${where}, relative to the generic prompt`;
    default:
      return `0 to the 99th percentile of ${where}`;
  }
}

export function ColorBar({
  map,
  sel,
  colormap,
  testId = 'colorbar',
}: {
  map: DisplayMap;
  sel: Pick<ResolvedSelection, 'from' | 'to'>;
  colormap?: ColormapName;
  testId?: string;
}) {
  const shared = useHeatmapStore((s) => s.colormap);
  const lo = useHeatmapStore((s) => s.lo);
  const hi = useHeatmapStore((s) => s.hi);
  const threshold = useHeatmapStore((s) => s.threshold);
  const top = map.domain[1];
  const clipped = clippedCount(map.values, top * hi);
  const caption = [
    `${map.units}: ${scaleText(map, sel)}`,
    hi < 1 || lo > 0 ? `colours span ${Math.round(lo * 100)}–${Math.round(hi * 100)}% of it` : '',
    clipped > 0 ? `${clipped} cell${clipped === 1 ? '' : 's'} above, shown at the top colour` : '',
    threshold > 0 ? `cells under ${formatValue(top * threshold)} hidden` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="colorbar" data-testid={testId}>
      <div
        className="colorbar-bar"
        style={{ background: cssGradient(colormap ?? shared) }}
        title={NORM_LABELS[map.norm].long}
        aria-hidden="true"
      />
      <div className="colorbar-ticks">
        <span>{formatValue(top * lo)}</span>
        <span>{formatValue((top * (lo + hi)) / 2)}</span>
        <span>{formatValue(top * hi)}</span>
      </div>
      <div className="colorbar-caption muted small" title={caption}>
        {caption}
      </div>
    </div>
  );
}
