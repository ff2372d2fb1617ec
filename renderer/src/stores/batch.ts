// Batch runs: start (offering an identical finished run instead of recomputing it), watch, cancel,
// resume, name and annotate; the selected run's summary and records for the dashboard. Progress has one
// source: the engine's progress events, falling back to the run list before the first event.
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { ExportFormat } from '../../../electron/contract/api.js';
import type { BatchRecord, BatchSpec, RunInfo, RunSummary, View } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { toUiError, type UiError } from '../engine/errors.js';
import { subscribeEngineEvents } from './engine.js';

interface Progress {
  done: number;
  total: number;
  failed: number;
  itemsPerSecond: number;
  etaSeconds: number | null;
}

/** A start that matched runs of the identical spec: the researcher picks one or starts anyway. */
interface StartOffer {
  spec: BatchSpec;
  name: string;
  runs: RunInfo[];
}

interface BatchState {
  runs: RunInfo[];
  progress: Record<string, Progress>;
  selectedRunId: string | null;
  summary: RunSummary | null;
  records: BatchRecord[];
  offer: StartOffer | null;
  error: UiError | null;
  busy: boolean;
  actions: {
    refresh: () => Promise<void>;
    /** Starts a run, unless runs of the identical spec exist: then `offer` lists them. */
    start: (spec: BatchSpec, name?: string) => Promise<void>;
    /** Starts the offered spec as a new run even so. */
    startAnyway: () => Promise<void>;
    dismissOffer: () => void;
    cancel: (runId: string) => Promise<void>;
    resume: (runId: string) => Promise<void>;
    select: (runId: string | null) => Promise<void>;
    annotate: (runId: string, patch: { name?: string; notes?: string }) => Promise<void>;
    exportRun: (format: ExportFormat) => Promise<{ text?: string; bytes?: Uint8Array } | null>;
    clearError: () => void;
  };
}

export const useBatchStore = create<BatchState>()((set, get) => {
  const launch = async (spec: BatchSpec, name: string) => {
    const { runId } = await getClient().call('batch.start', spec);
    if (name.trim()) await getClient().call('batch.annotate', { runId, name: name.trim() });
    await get().actions.refresh();
    await get().actions.select(runId);
  };
  const replaceRun = (info: RunInfo) => set((s) => ({ runs: s.runs.map((r) => (r.runId === info.runId ? info : r)) }));
  return {
    runs: [],
    progress: {},
    selectedRunId: null,
    summary: null,
    records: [],
    offer: null,
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
      async start(spec, name = '') {
        set({ busy: true, error: null, offer: null });
        try {
          const same = await getClient().call('batch.matching', spec);
          if (same.length > 0) set({ offer: { spec, name, runs: same } });
          else await launch(spec, name);
        } catch (e) {
          set({ error: toUiError(e) });
        } finally {
          set({ busy: false });
        }
      },
      async startAnyway() {
        const offer = get().offer;
        if (!offer) return;
        set({ busy: true, offer: null });
        try {
          await launch(offer.spec, offer.name);
        } catch (e) {
          set({ error: toUiError(e) });
        } finally {
          set({ busy: false });
        }
      },
      dismissOffer: () => set({ offer: null }),
      async cancel(runId) {
        try {
          await getClient().call('batch.cancel', { runId });
          await get().actions.refresh();
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async resume(runId) {
        set({ offer: null });
        try {
          await getClient().call('batch.resume', { runId });
          await get().actions.refresh();
          await get().actions.select(runId);
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async select(runId) {
        set({ selectedRunId: runId, summary: null, records: [], offer: null });
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
      async annotate(runId, patch) {
        try {
          replaceRun(await getClient().call('batch.annotate', { runId, ...patch }));
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async exportRun(format) {
        const runId = get().selectedRunId;
        if (!runId) return null;
        try {
          const r = await getClient().call('batch.export', { runId, format });
          return { ...(r.text !== undefined ? { text: r.text } : {}), ...(r.bytes ? { bytes: r.bytes } : {}) };
        } catch (e) {
          set({ error: toUiError(e) });
          return null;
        }
      },
      clearError: () => set({ error: null }),
    },
  };
});

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
    useBatchStore.setState({ progress: { ...st.progress, [runId]: { done, total, failed, itemsPerSecond, etaSeconds } } });
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

/**
 * The one progress of a run that every place shows (run list, dashboard): the engine's latest progress
 * event while it runs, else the run list's stored counts.
 */
export function runProgress(run: RunInfo | undefined, p: Progress | undefined): { done: number; total: number; failed: number } | null {
  if (!run && !p) return null;
  if (p && (run?.state === 'running' || !run)) return { done: p.done, total: p.total, failed: p.failed };
  return run ? { done: run.done, total: run.total, failed: run.failed } : null;
}

export const useRunProgress = (runId: string | null) =>
  useBatchStore(
    useShallow((s) =>
      runId
        ? runProgress(
            s.runs.find((r) => r.runId === runId),
            s.progress[runId],
          )
        : null,
    ),
  );

/** Records of one view, keyed by item id. */
export function byItem(records: BatchRecord[], view: View): Map<string, BatchRecord> {
  const m = new Map<string, BatchRecord>();
  for (const r of records) if (r.view === view) m.set(r.itemId, r);
  return m;
}
