import { EmptyState } from '../../components/common.js';

export function CompareView() {
  return <EmptyState title="Compare">Coming soon.</EmptyState>;
}
