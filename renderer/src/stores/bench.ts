// Benchmark items, fetched once per bench and shared by Inspect, Replay and Compare. A bench whose items
// cannot be read keeps its error here; the bench selector shows it.
import { create } from 'zustand';
import type { BenchItemSummary } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { toUiError, type UiError } from '../engine/errors.js';

interface BenchState {
  items: Record<string, BenchItemSummary[]>;
  errors: Record<string, UiError>;
  actions: {
    load: (benchId: string) => Promise<BenchItemSummary[]>;
    /** Forgets a bench's items (it was opened again: its file may have changed). */
    forget: (benchId: string) => void;
  };
}

const pending = new Map<string, Promise<BenchItemSummary[]>>();

export const useBenchStore = create<BenchState>()((set, get) => ({
  items: {},
  errors: {},
  actions: {
    load(benchId) {
      const have = get().items[benchId];
      if (have) return Promise.resolve(have);
      const p0 = pending.get(benchId);
      if (p0) return p0;
      const p = getClient()
        .call('bench.items', { benchId })
        .then((items) => {
          set((s) => {
            const { [benchId]: _gone, ...errors } = s.errors;
            return { items: { ...s.items, [benchId]: items }, errors };
          });
          return items;
        })
        .catch((e: unknown) => {
          set((s) => ({ errors: { ...s.errors, [benchId]: toUiError(e) } }));
          return [] as BenchItemSummary[];
        })
        .finally(() => pending.delete(benchId));
      pending.set(benchId, p);
      return p;
    },
    forget(benchId) {
      set((s) => {
        const { [benchId]: _items, ...items } = s.items;
        const { [benchId]: _error, ...errors } = s.errors;
        return { items, errors };
      });
    },
  },
}));

const EMPTY: BenchItemSummary[] = [];
export const useBenchItems = (benchId: string | null) => useBenchStore((s) => (benchId ? (s.items[benchId] ?? EMPTY) : EMPTY));
export const useBenchActions = () => useBenchStore((s) => s.actions);
