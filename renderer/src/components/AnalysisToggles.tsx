// Opt-in analyses beyond the heatmap (docs/metrics.md), with what each costs: Inspect, Replay and batch
// runs offer the same switches.
/** The opt-in analyses a view runs with its next analysis. */
export interface AnalysesChoice {
  selfZoom: boolean;
  faithfulness: boolean;
  activation: boolean;
}

export function AnalysisToggles({
  value,
  onChange,
  faithfulnessCost = 'Remove the 5/10/20% most attended cells of the default layer, as many random cells (3 seeds) and the key box, and ask again: 13 passes',
  faithfulnessLabel = 'Faithfulness by deletion (+13 passes)',
}: {
  value: AnalysesChoice;
  onChange: (name: keyof AnalysesChoice, on: boolean) => void;
  faithfulnessCost?: string;
  faithfulnessLabel?: string;
}) {
  return (
    <fieldset className="analysis-toggles">
      <legend>Also analyse</legend>
      <label title="Crop around the peak of the model's attention (default layer, half of each side) and ask again on the crop: one more pass">
        <input
          type="checkbox"
          checked={value.selfZoom}
          onChange={(e) => onChange('selfZoom', e.target.checked)}
          data-testid="toggle-self-zoom"
        />{' '}
        Self-zoom (+1 pass)
      </label>
      <label title={faithfulnessCost}>
        <input
          type="checkbox"
          checked={value.faithfulness}
          onChange={(e) => onChange('faithfulness', e.target.checked)}
          data-testid="toggle-faithfulness"
        />{' '}
        {faithfulnessLabel}
      </label>
      <label title="Score each visual token's final hidden state against each answer token's unembedding row (logit lens, context-corrected): no extra pass, but an ONNX package needs `loupe tap DIR --hidden-states`">
        <input
          type="checkbox"
          checked={value.activation}
          onChange={(e) => onChange('activation', e.target.checked)}
          data-testid="toggle-activation"
        />{' '}
        Activation maps (no extra pass)
      </label>
    </fieldset>
  );
}
