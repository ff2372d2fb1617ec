// Batch runs: start, watch, cancel, resume; and the selected run's summary and records for the dashboard.
import { create } from 'zustand';
import type { BatchRecord, BatchSpec, RunInfo, RunSummary, View } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { toUiError, type UiError } from '../engine/errors.js';
import { subscribeEngineEvents } from './engine.js';

export interface Progress {
  done: number;
  total: number;
  failed: number;
  itemsPerSecond: number;
  etaSeconds: number | null;
}

interface BatchState {
  runs: RunInfo[];
  progress: Record<string, Progress>;
  selectedRunId: string | null;
  summary: RunSummary | null;
  records: BatchRecord[];
  error: UiError | null;
  busy: boolean;
  actions: {
    refresh: () => Promise<void>;
    start: (spec: BatchSpec) => Promise<void>;
    cancel: (runId: string) => Promise<void>;
    resume: (runId: string) => Promise<void>;
    select: (runId: string | null) => Promise<void>;
    exportRun: (format: 'csv' | 'json') => Promise<string | null>;
    clearError: () => void;
  };
}

export const useBatchStore = create<BatchState>()((set, get) => ({
  runs: [],
  progress: {},
  selectedRunId: null,
  summary: null,
  records: [],
  error: null,
  busy: false,
  actions: {
    async refresh() {
      try {
        const runs = await getClient().call('batch.list', {});
        runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
        set({ runs });
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    async start(spec) {
      set({ busy: true, error: null });
      try {
        const { runId } = await getClient().call('batch.start', spec);
        await get().actions.refresh();
        await get().actions.select(runId);
      } catch (e) {
        set({ error: toUiError(e) });
      } finally {
        set({ busy: false });
      }
    },
    async cancel(runId) {
      try {
        await getClient().call('batch.cancel', { runId });
        await get().actions.refresh();
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    async resume(runId) {
      try {
        await getClient().call('batch.resume', { runId });
        await get().actions.refresh();
        await get().actions.select(runId);
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    async select(runId) {
      set({ selectedRunId: runId, summary: null, records: [] });
      if (!runId) return;
      try {
        const [summary, records] = await Promise.all([
          getClient().call('batch.summary', { runId }),
          getClient().call('batch.records', { runId }),
        ]);
        if (get().selectedRunId === runId) set({ summary, records });
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    async exportRun(format) {
      const runId = get().selectedRunId;
      if (!runId) return null;
      try {
        const r = await getClient().call('batch.export', { runId, format });
        return r.text ?? null;
      } catch (e) {
        set({ error: toUiError(e) });
        return null;
      }
    },
    clearError: () => set({ error: null }),
  },
}));

// Live updates. Summaries are recomputed by the engine; re-fetch them at most every 2 s while a run streams.
let summaryTimer: ReturnType<typeof setTimeout> | null = null;
function scheduleSummary(runId: string): void {
  if (summaryTimer) return;
  summaryTimer = setTimeout(async () => {
    summaryTimer = null;
    if (useBatchStore.getState().selectedRunId !== runId) return;
    try {
      const summary = await getClient().call('batch.summary', { runId });
      if (useBatchStore.getState().selectedRunId === runId) useBatchStore.setState({ summary });
    } catch {
      /* the next event retries */
    }
  }, 2000);
}

subscribeEngineEvents((ev) => {
  const st = useBatchStore.getState();
  if (ev.type === 'batch.progress') {
    const { runId, done, total, failed, itemsPerSecond, etaSeconds } = ev;
    useBatchStore.setState({
      progress: { ...st.progress, [runId]: { done, total, failed, itemsPerSecond, etaSeconds } },
      runs: st.runs.map((r) => (r.runId === runId ? { ...r, done, total } : r)),
    });
  } else if (ev.type === 'batch.item' && ev.runId === st.selectedRunId) {
    useBatchStore.setState({ records: [...st.records, ev.record] });
    scheduleSummary(ev.runId);
  } else if (ev.type === 'batch.finished') {
    void st.actions.refresh();
    if (ev.runId === st.selectedRunId) void st.actions.select(ev.runId);
    if (ev.error)
      useBatchStore.setState({
        error: { message: `Run ${ev.runId} ${ev.state}: ${ev.error}`, hint: 'Resume it to continue from the last finished item.' },
      });
  }
});

export const useBatchActions = () => useBatchStore((s) => s.actions);

/** Records of one view, keyed by item id. */
export function byItem(records: BatchRecord[], view: View): Map<string, BatchRecord> {
  const m = new Map<string, BatchRecord>();
  for (const r of records) if (r.view === view) m.set(r.itemId, r);
  return m;
}
