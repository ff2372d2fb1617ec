// Batch: run a model over a benchmark in both views, then read the dashboard.
import { BatchRuns } from './BatchRuns.js';
import { BatchDashboard } from './BatchDashboard.js';

export function BatchView() {
  return (
    <div className="view batch">
      <BatchRuns />
      <BatchDashboard />
    </div>
  );
}
