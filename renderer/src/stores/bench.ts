// Benchmark items, fetched once per bench and shared by Inspect, Replay and Compare.
import { create } from 'zustand';
import type { BenchItemSummary } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { toUiError, type UiError } from '../engine/errors.js';

interface BenchState {
  items: Record<string, BenchItemSummary[]>;
  loading: Record<string, boolean>;
  error: UiError | null;
  actions: { load: (benchId: string) => Promise<BenchItemSummary[]> };
}

const pending = new Map<string, Promise<BenchItemSummary[]>>();

export const useBenchStore = create<BenchState>()((set, get) => ({
  items: {},
  loading: {},
  error: null,
  actions: {
    load(benchId) {
      const have = get().items[benchId];
      if (have) return Promise.resolve(have);
      const p0 = pending.get(benchId);
      if (p0) return p0;
      set((s) => ({ loading: { ...s.loading, [benchId]: true } }));
      const p = getClient()
        .call('bench.items', { benchId })
        .then((items) => {
          set((s) => ({ items: { ...s.items, [benchId]: items }, error: null }));
          return items;
        })
        .catch((e: unknown) => {
          set({ error: toUiError(e) });
          return [] as BenchItemSummary[];
        })
        .finally(() => {
          pending.delete(benchId);
          set((s) => ({ loading: { ...s.loading, [benchId]: false } }));
        });
      pending.set(benchId, p);
      return p;
    },
  },
}));

const EMPTY: BenchItemSummary[] = [];
export const useBenchItems = (benchId: string | null) => useBenchStore((s) => (benchId ? (s.items[benchId] ?? EMPTY) : EMPTY));
export const useBenchActions = () => useBenchStore((s) => s.actions);
export const useBenchError = () => useBenchStore((s) => s.error);
