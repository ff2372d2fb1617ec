// The analysis selection of one view, visible and under its control: layer (or a layer range), heads,
// token and colour scale, and the line that names what every number below it measures.
import type { AnswerToken } from '../../../electron/contract/types.js';
import type { AnalysisView } from '../hooks/useAnalysisView.js';
import { NORM_LABELS, visibleToken } from '../selection/labels.js';
import type { HeadSel, MapKind, Norm, SelectionScope } from '../selection/selection.js';
import { useSelectionActions } from '../stores/selection.js';

export function SelectionBar({
  scope,
  view,
  tokens,
  compact = false,
}: {
  scope: SelectionScope;
  view: AnalysisView;
  /** The answer tokens to offer as query positions (default: the view's own). */
  tokens?: readonly AnswerToken[];
  compact?: boolean;
}) {
  const { set } = useSelectionActions();
  const { sel, shape } = view;
  const ranged = sel.to > sel.from;
  const toks = tokens ?? view.result.tokens;
  // Activation maps are the final layer's logit lens, one per answer token: layers and heads do not apply.
  const activation = sel.kind === 'activation';
  const noLayers = activation
    ? 'Activation maps use the final normalised hidden states: layers and heads apply to attention only'
    : undefined;
  return (
    <div className={`selection-bar ${compact ? 'compact' : ''}`} data-testid={`selection-${scope}`} aria-label="What is shown and measured">
      <div className="selection-row" title={noLayers}>
        <label className="field slider layer">
          <span className="field-label">{ranged ? 'Layers from' : 'Layer'}</span>
          <input
            data-testid="layer-slider"
            disabled={activation}
            type="range"
            min={1}
            max={shape.numLayers}
            step={1}
            value={sel.from}
            onChange={(e) => {
              const from = Number(e.target.value);
              set(scope, ranged ? { layer: from, layerTo: Math.max(from, sel.to) } : { layer: from, layerTo: null });
            }}
            aria-valuetext={`Layer ${sel.from} of ${shape.numLayers}`}
          />
          <span className="value" data-testid="layer-value">
            {sel.from} / {shape.numLayers}
          </span>
        </label>
        {ranged ? (
          <label className="field slider layer">
            <span className="field-label">to</span>
            <input
              data-testid="layer-to-slider"
              type="range"
              min={sel.from}
              max={shape.numLayers}
              step={1}
              value={sel.to}
              onChange={(e) => set(scope, { layerTo: Number(e.target.value) })}
            />
            <span className="value">{sel.to}</span>
          </label>
        ) : null}
        <label className="check" title="Average the maps of a range of layers">
          <input
            type="checkbox"
            data-testid="layer-range"
            checked={ranged}
            onChange={(e) => set(scope, { layer: sel.from, layerTo: e.target.checked ? Math.min(shape.numLayers, sel.from + 1) : null })}
          />
          range
        </label>
        {sel.from !== shape.defaultLayer || ranged ? (
          <button
            className="link"
            onClick={() => set(scope, { layer: shape.defaultLayer, layerTo: null })}
            title="The paper's layer choice scaled to this model's depth"
          >
            default ({shape.defaultLayer})
          </button>
        ) : (
          <span className="muted small">default layer</span>
        )}
      </div>
      <div className="selection-row">
        <label className="field inline">
          <span className="field-label">Map</span>
          <select
            data-testid="map-kind"
            value={sel.kind}
            onChange={(e) => set(scope, { kind: e.target.value as MapKind })}
            title={
              shape.activationTokens > 0
                ? 'Attention of the query position, or the activation map of the answer token it produced (docs/metrics.md)'
                : 'This analysis has no activation maps: turn on “Activation maps” under “Also analyse” and run it again'
            }
          >
            <option value="attention">attention</option>
            <option value="activation" disabled={shape.activationTokens === 0}>
              activation (logit lens)
            </option>
          </select>
        </label>
        <label className="field inline">
          <span className="field-label">Heads</span>
          <select
            data-testid="head-select"
            disabled={activation}
            value={String(sel.head)}
            onChange={(e) => {
              const v = e.target.value;
              set(scope, { head: v === 'mean' || v === 'max' ? v : Number(v) });
            }}
          >
            <option value="mean">mean of {shape.numHeads}</option>
            <option value="max">max of {shape.numHeads}</option>
            {Array.from({ length: shape.numHeads }, (_, h) => (
              <option key={h} value={h}>
                head h{h}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span className="field-label">Scale</span>
          <select
            data-testid="norm-select"
            value={sel.norm}
            onChange={(e) => set(scope, { norm: e.target.value as Norm })}
            title={NORM_LABELS[sel.norm].long}
          >
            {(Object.keys(NORM_LABELS) as Norm[]).map((n) => (
              <option key={n} value={n} disabled={n === 'relative' && (!shape.hasGeneric || sel.query !== 0)} title={NORM_LABELS[n].long}>
                {NORM_LABELS[n].short}
              </option>
            ))}
          </select>
        </label>
      </div>
      {activation ? (
        <ActivationTokenButtons scope={scope} query={sel.query} tokens={toks} count={shape.activationTokens} />
      ) : (
        <TokenButtons scope={scope} query={sel.query} tokens={toks} numQueries={shape.numQueries} />
      )}
      <div className="selection-label small" data-testid="selection-label">
        Showing <strong>{view.label}</strong>
      </div>
    </div>
  );
}

/** One answer token as a radio button: its text and its probability (fainter when less likely). */
function AnswerTokenButton({
  token,
  active,
  disabled,
  onSelect,
  title,
  testId,
}: {
  token: AnswerToken;
  active: boolean;
  disabled: boolean;
  onSelect: () => void;
  title: string;
  testId: string;
}) {
  return (
    <button
      role="radio"
      aria-checked={active}
      disabled={disabled}
      className={`token ${active ? 'active' : ''}`}
      onClick={onSelect}
      title={title}
      data-testid={testId}
    >
      <span className="token-text">{visibleToken(token.text)}</span>
      <span className="token-prob" style={{ opacity: 0.4 + 0.6 * token.prob }}>
        {(token.prob * 100).toFixed(0)}%
      </span>
    </button>
  );
}

/** The query positions: the last prompt token (the paper's) and each generated token. */
function TokenButtons({
  scope,
  query,
  tokens,
  numQueries,
}: {
  scope: SelectionScope;
  query: number;
  tokens: readonly AnswerToken[];
  numQueries: number;
}) {
  const { set } = useSelectionActions();
  return (
    <div className="tokens" role="radiogroup" aria-label="Query position">
      <button
        role="radio"
        aria-checked={query === 0}
        className={`token ${query === 0 ? 'active' : ''}`}
        onClick={() => set(scope, { query: 0 })}
        title="Last prompt token: predicts the first answer token (the paper's query)"
        data-testid="token-0"
      >
        ⟨prompt⟩
      </button>
      {tokens.map((t, i) => {
        const qi = i + 1;
        return (
          <AnswerTokenButton
            key={i}
            token={t}
            active={query === qi}
            disabled={qi >= numQueries}
            onSelect={() => set(scope, { query: qi })}
            title={`Answer token ${qi}: id ${t.id}, p = ${t.prob.toFixed(3)}`}
            testId={`token-${qi}`}
          />
        );
      })}
    </div>
  );
}

/** Activation maps: one per answer token (selection query q = the token the q-th query position produced). */
function ActivationTokenButtons({
  scope,
  query,
  tokens,
  count,
}: {
  scope: SelectionScope;
  query: number;
  tokens: readonly AnswerToken[];
  count: number;
}) {
  const { set } = useSelectionActions();
  return (
    <div className="tokens" role="radiogroup" aria-label="Answer token">
      {tokens.map((t, i) => (
        <AnswerTokenButton
          key={i}
          token={t}
          active={query === i}
          disabled={i >= count}
          onSelect={() => set(scope, { query: i })}
          title={`Activation map of answer token ${i + 1}: id ${t.id}, p = ${t.prob.toFixed(3)}`}
          testId={`act-token-${i}`}
        />
      ))}
    </div>
  );
}

export type { HeadSel };
