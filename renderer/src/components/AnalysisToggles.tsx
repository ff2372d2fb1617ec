// Opt-in analyses beyond the heatmap (docs/metrics.md), with what each costs: Inspect, Replay and batch
// runs offer the same switches.
import { SELF_ZOOM_INPUTS, type SelfZoomInput } from '../../../electron/contract/analyses.js';
import type { AnalysesChoice } from '../stores/analyses-choice.js';

const ZOOM_INPUT_LABELS: Record<SelfZoomInput, string> = {
  crop: 'the crop alone',
  'crop+full': 'full image + crop (ViCrop)',
};

export function AnalysisToggles({
  value,
  onChange,
  faithfulnessCost = 'Remove the 5/10/20% most attended cells of the default layer, as many random cells (3 seeds) and the key box, and ask again: 13 passes',
  faithfulnessLabel = 'Faithfulness by deletion (+13 passes)',
}: {
  value: AnalysesChoice;
  onChange: (patch: Partial<AnalysesChoice>) => void;
  faithfulnessCost?: string;
  faithfulnessLabel?: string;
}) {
  const toggles: { name: 'selfZoom' | 'faithfulness' | 'activation'; testId: string; title: string; label: string }[] = [
    {
      name: 'selfZoom',
      testId: 'toggle-self-zoom',
      title: "Crop around the peak of the model's attention (default layer, half of each side) and ask again on the crop: one more pass",
      label: 'Self-zoom (+1 pass)',
    },
    { name: 'faithfulness', testId: 'toggle-faithfulness', title: faithfulnessCost, label: faithfulnessLabel },
    {
      name: 'activation',
      testId: 'toggle-activation',
      title:
        "Score each visual token's final hidden state against each answer token's unembedding row (logit lens, context-corrected): no extra pass, but an ONNX package needs `loupe tap DIR --hidden-states`",
      label: 'Activation maps (no extra pass)',
    },
  ];
  return (
    <fieldset className="analysis-toggles">
      <legend>Also analyse</legend>
      {toggles.map((t) => (
        <label key={t.name} title={t.title}>
          <input
            type="checkbox"
            checked={value[t.name]}
            onChange={(e) => onChange({ [t.name]: e.target.checked })}
            data-testid={t.testId}
          />{' '}
          {t.label}
          {t.name === 'selfZoom' && value.selfZoom ? (
            <>
              {' '}
              on{' '}
              <select
                aria-label="Self-zoom input"
                title="What the second pass sees: the crop alone, or the full image followed by the crop in the same turn (ViCrop's input)"
                value={value.selfZoomInput}
                onChange={(e) => onChange({ selfZoomInput: e.target.value as SelfZoomInput })}
                data-testid="self-zoom-input"
              >
                {SELF_ZOOM_INPUTS.map((i) => (
                  <option key={i} value={i}>
                    {ZOOM_INPUT_LABELS[i]}
                  </option>
                ))}
              </select>
            </>
          ) : null}
        </label>
      ))}
    </fieldset>
  );
}
