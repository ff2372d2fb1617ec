import { EmptyState } from '../../components/common.js';

export function ReplayView() {
  return <EmptyState title="Replay">Coming soon.</EmptyState>;
}
