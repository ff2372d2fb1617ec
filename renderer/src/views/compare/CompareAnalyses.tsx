// Compare: what distillation did to zooming (docs/metrics.md): items moved between "solved in one pass",
// "needs a zoom" and "unsolved", and B - A of the self-zoom and deletion figures when both runs have them.
import type { ZoomNeed } from '../../../../electron/contract/analyses.js';
import type { CompareSummary } from '../../../../electron/contract/types.js';
import { pct } from '../../components/common.js';

const CLASS_LABEL: Record<ZoomNeed, string> = { onePass: 'one pass', needsZoom: 'needs a zoom', unsolved: 'unsolved' };
const CLASSES: ZoomNeed[] = ['onePass', 'needsZoom', 'unsolved'];
const signed = (v: number, digits = 1) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

export function CompareAnalyses({ summary, onPickItem }: { summary: CompareSummary; onPickItem: (itemId: string) => void }) {
  const z = summary.zoomNeed;
  const a = summary.analyses;
  if (!z && !a) return null;
  return (
    <>
      {z ? (
        <div className="card" data-testid="zoom-need">
          <div className="chart-title">Needs a zoom → solved in one pass ({z.items} items judged in both views of both runs)</div>
          <table className="data-table">
            <thead>
              <tr>
                <th>A \ B</th>
                {CLASSES.map((c) => (
                  <th key={c}>{CLASS_LABEL[c]}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {CLASSES.map((from) => (
                <tr key={from}>
                  <th>{CLASS_LABEL[from]}</th>
                  {CLASSES.map((to) => (
                    <td
                      key={to}
                      className={from === 'needsZoom' && to === 'onePass' ? 'good' : from === 'onePass' && to !== 'onePass' ? 'bad' : ''}
                    >
                      {z.counts[from][to]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="small muted">
            One pass = correct on the full image; needs a zoom = wrong on the full image, correct on the key region; unsolved = wrong on
            both.
          </div>
          <div className="small" data-testid="moved-to-one-pass">
            Moved to one pass ({z.movedToOnePass.length}):{' '}
            {z.movedToOnePass.slice(0, 30).map((id) => (
              <button key={id} className="link" onClick={() => onPickItem(id)}>
                {id}
              </button>
            ))}
            {z.movedToOnePass.length > 30 ? ' …' : ''}
          </div>
          <div className="small">Lost one pass: {z.lostOnePass.length}</div>
        </div>
      ) : null}
      {a ? (
        <div className="card" data-testid="compare-analyses">
          <div className="chart-title">Self-zoom and faithfulness, B − A</div>
          {a.selfZoomAccuracy ? (
            <div className="small">
              Self-zoom accuracy: {pct(a.selfZoomAccuracy.a)} → {pct(a.selfZoomAccuracy.b)} ({signed(a.selfZoomAccuracy.delta * 100)} pp)
              {a.selfZoomAccuracy.paired ? (
                <span data-testid="compare-self-zoom-paired">
                  {' '}
                  · paired over {a.selfZoomAccuracy.paired.items} items {signed(a.selfZoomAccuracy.paired.delta * 100)} pp, 95% CI [
                  {signed(a.selfZoomAccuracy.paired.lo * 100)}, {signed(a.selfZoomAccuracy.paired.hi * 100)}]; right only in A{' '}
                  {a.selfZoomAccuracy.paired.onlyA}, only in B {a.selfZoomAccuracy.paired.onlyB}
                </span>
              ) : null}
            </div>
          ) : null}
          {a.gapRecovered ? (
            <div className="small">
              Share of the zooming gap self-zoom recovers: {a.gapRecovered.a === null ? 'n/a' : pct(a.gapRecovered.a, 0)} →{' '}
              {a.gapRecovered.b === null ? 'n/a' : pct(a.gapRecovered.b, 0)}
            </div>
          ) : null}
          {a.deletionArea ? (
            <div className="small">
              Deletion area, layer {a.deletionArea.layer} (lower = more faithful): {a.deletionArea.a.toFixed(3)} →{' '}
              {a.deletionArea.b.toFixed(3)} ({signed(a.deletionArea.delta, 3)}); random {a.deletionArea.randomA.toFixed(3)} →{' '}
              {a.deletionArea.randomB.toFixed(3)}
            </div>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
