// The box's numbers at the current layer: paper-compatible and area-exact coverage, ratio, pointing game.
import type { LayerMetrics } from '../../../electron/contract/types.js';
import { num, pct } from './common.js';

export function MetricsPanel({ metrics, areaShare, layer }: { metrics: LayerMetrics | undefined; areaShare: number; layer: number }) {
  if (!metrics) return <div className="muted small">Draw or type a key box to see coverage.</div>;
  return (
    <table className="metrics" data-testid="metrics">
      <caption>Box metrics, layer {layer}</caption>
      <tbody>
        <Row
          label="Coverage (paper)"
          value={pct(metrics.coveragePaper, 2)}
          testId="coverage-paper"
          title="Inclusive cell range after truncation, as the paper's code computes it"
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
          title="Is the arg-max cell's centre inside the box"
        />
        <Row label="Entropy" value={`${num(metrics.entropy, 2)} nats`} testId="entropy" />
        {metrics.relCoveragePaper !== undefined ? (
          <Row
            label="Relative coverage"
            value={pct(metrics.relCoveragePaper, 2)}
            testId="rel-coverage"
            title="Paper coverage of the map divided by the generic prompt's"
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
