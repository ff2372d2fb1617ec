// The key box's numbers under the view's selection: paper-compatible and area-exact coverage, ratio,
// pointing game, entropy; the caption says which box, layer, heads, token and protocol they are for.
import type { Box, LayerMetrics } from '../../../electron/contract/types.js';
import { num, pct } from './common.js';

export function MetricsPanel({
  metrics,
  areaShare,
  label,
  box,
  stale,
}: {
  metrics: LayerMetrics | undefined;
  areaShare: number;
  /** What the numbers measure ("layer 3 · mean of 4 heads · prompt token · paper protocol"). */
  label: string;
  box: Box | null | undefined;
  /** Set when the typed box differs from the applied one: the numbers are for the applied box. */
  stale?: string;
}) {
  if (!metrics || !box) return <div className="muted small">Draw or type a key box to see coverage.</div>;
  return (
    <table className={`metrics ${stale ? 'stale' : ''}`} data-testid="metrics">
      <caption data-testid="metrics-label">
        Key box [{box.map((v) => Math.round(v)).join(', ')}] · {label}
        {stale ? <div className="warn-text">{stale}</div> : null}
      </caption>
      <tbody>
        <Row
          label="Coverage (paper)"
          value={pct(metrics.coveragePaper, 2)}
          testId="coverage-paper"
          title="Share of the map in the box's cells: inclusive cell range after truncation, as the paper's code computes it"
        />
        <Row
          label="Coverage (area-exact)"
          value={pct(metrics.coverageArea, 2)}
          testId="coverage-area"
          title="Every cell weighted by the share of its area inside the box"
        />
        <Row label="Box area share" value={pct(areaShare, 2)} testId="area-share" title="What a uniform map would put inside the box" />
        <Row
          label="Attention ratio"
          value={`${num(metrics.ratio, 2)}×`}
          testId="ratio"
          title="Area-exact coverage / box area share; 1 = no concentration"
        />
        <Row
          label="Pointing game"
          value={metrics.pointing ? 'hit' : 'miss'}
          testId="pointing"
          title="Is the centre of the largest cell inside the box"
        />
        <Row
          label="Entropy"
          value={`${num(metrics.entropy, 2)} nats`}
          testId="entropy"
          title="Shannon entropy of the map normalised to sum 1"
        />
        {metrics.relCoveragePaper !== undefined ? (
          <Row
            label="Relative coverage"
            value={pct(metrics.relCoveragePaper, 2)}
            testId="rel-coverage"
            title="Paper coverage of the map divided by the generic prompt's (prompt token only)"
          />
        ) : null}
      </tbody>
    </table>
  );
}

function Row({ label, value, testId, title }: { label: string; value: string; testId: string; title?: string }) {
  return (
    <tr title={title}>
      <th scope="row">{label}</th>
      <td data-testid={testId}>{value}</td>
    </tr>
  );
}
