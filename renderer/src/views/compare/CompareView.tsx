// Compare: before/after checkpoints on one item and over two batch runs. The item strip can be folded
// away so the run comparison gets the screen.
import { useState } from 'react';
import { ErrorBanner } from '../../components/common.js';
import { useCompareActions, useCompareStore } from '../../stores/compare.js';
import { useSelectionActions } from '../../stores/selection.js';
import { CompareItem, CompareItemControls } from './CompareItem.js';
import { CompareRuns, CompareRunsControls, findItem } from './CompareRuns.js';

export function CompareView() {
  const error = useCompareStore((s) => s.error);
  const a = useCompareActions();
  const { set } = useSelectionActions();
  const [open, setOpen] = useState(true);
  const pick = (itemId: string, layer: number) => {
    const f = findItem(itemId);
    if (!f) return;
    // The runs measured head mean and the prompt token at this layer: show the strip the same way.
    set('compare', { layer, layerTo: null, head: 'mean', query: 0 });
    setOpen(true);
    void a.setBenchItem(f.benchId, f.it).then(() => a.runItem());
  };
  return (
    <div className="view compare">
      <aside className="panel left" aria-label="What to compare">
        <CompareItemControls />
        <CompareRunsControls />
      </aside>
      <main className="center scroll">
        <ErrorBanner error={error} onDismiss={a.clearError} />
        <details className="compare-strip" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="compare-strip">
          <summary>One item, two models</summary>
          {open ? (
            <div className="compare-item">
              <CompareItem />
            </div>
          ) : null}
        </details>
        <CompareRuns onPickItem={pick} />
      </main>
    </div>
  );
}
