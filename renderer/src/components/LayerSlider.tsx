// Layer scrubber: changing it only swaps a precomputed map, so dragging repaints every frame.
import { useHeatmapActions } from '../stores/heatmap.js';

export function LayerSlider({ numLayers, layer, defaultLayer }: { numLayers: number; layer: number; defaultLayer: number }) {
  const { setLayer } = useHeatmapActions();
  return (
    <div className="layer-slider">
      <label className="field slider">
        <span className="field-label">Layer</span>
        <input
          data-testid="layer-slider"
          type="range"
          min={1}
          max={numLayers}
          step={1}
          value={layer + 1}
          onChange={(e) => setLayer(Number(e.target.value))}
          aria-valuetext={`Layer ${layer + 1} of ${numLayers}`}
        />
        <span className="value" data-testid="layer-value">
          {layer + 1} / {numLayers}
        </span>
      </label>
      {layer + 1 !== defaultLayer ? (
        <button className="link" onClick={() => setLayer(defaultLayer)} title="The paper's layer choice scaled to this model's depth">
          default ({defaultLayer})
        </button>
      ) : (
        <span className="muted small">default layer</span>
      )}
    </div>
  );
}
