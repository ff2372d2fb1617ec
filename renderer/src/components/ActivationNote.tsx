// Beside an activation map: how it relates to attention, as numbers with their definitions
// (docs/metrics.md "Activation maps"): the token's Spearman rank correlation with its attention map and
// the mean over the answer's tokens.
import type { ActivationResult } from '../../../electron/contract/analyses.js';
import { visibleToken } from '../selection/labels.js';

const rho = (v: number | null) => (v === null ? 'n/a (a constant map)' : v.toFixed(3));

export function ActivationNote({ activation, token }: { activation: ActivationResult; token: number }) {
  const t = activation.tokens[token];
  if (!t) return null;
  return (
    <div className="small" data-testid="activation-note">
      <div>
        Spearman ρ, activation vs attention of answer token {token + 1} “{visibleToken(t.text)}”:{' '}
        <strong data-testid="activation-spearman">{rho(t.spearman)}</strong>
      </div>
      <div className="muted">
        rank correlation over the visual cells with the attention of the position that produced it (layer {activation.layer}, mean of
        heads); mean over the answer’s {activation.tokens.length} tokens {rho(activation.meanSpearman)} ·{' '}
        {activation.contextCorrection ? `context-corrected (α ${t.alpha.toFixed(3)})` : 'raw map'} · unembedding rows from{' '}
        {activation.unembedding}
      </div>
    </div>
  );
}
