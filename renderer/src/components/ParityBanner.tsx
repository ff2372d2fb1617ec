// Warns about loaded models whose export was never verified against PyTorch, or failed that check
// (ModelInfo.parity from loupe.json). The model still runs: the banner says its numbers are unverified.
import { useLoaded, useModels } from '../stores/engine.js';

export function ParityBanner() {
  const models = useModels();
  const loaded = useLoaded();
  const warned = models.filter((m) => loaded[m.id] && m.parity?.warning);
  if (warned.length === 0) return null;
  return (
    <div className="warn-banner" role="alert" data-testid="parity-banner">
      {warned.map((m) => (
        <p key={m.id}>{m.parity?.warning}</p>
      ))}
    </div>
  );
}
