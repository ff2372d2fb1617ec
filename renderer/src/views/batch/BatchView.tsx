import { EmptyState } from '../../components/common.js';

export function BatchView() {
  return <EmptyState title="Batch">Coming soon.</EmptyState>;
}
