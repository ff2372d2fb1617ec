// Compare: before/after checkpoints on one item and over two batch runs.
import { ErrorBanner } from '../../components/common.js';
import { useCompareActions, useCompareStore } from '../../stores/compare.js';
import { CompareItem, CompareItemControls } from './CompareItem.js';
import { CompareRuns, CompareRunsControls, findItem } from './CompareRuns.js';

export function CompareView() {
  const error = useCompareStore((s) => s.error);
  const a = useCompareActions();
  const pick = (itemId: string) => {
    const f = findItem(itemId);
    if (f) void a.setBenchItem(f.benchId, f.it).then(() => a.runItem());
  };
  return (
    <div className="view compare">
      <aside className="panel left" aria-label="What to compare">
        <CompareItemControls />
        <CompareRunsControls />
      </aside>
      <main className="center scroll">
        <ErrorBanner error={error} onDismiss={a.clearError} />
        <div className="compare-item">
          <CompareItem />
        </div>
        <CompareRuns onPickItem={pick} />
      </main>
    </div>
  );
}
