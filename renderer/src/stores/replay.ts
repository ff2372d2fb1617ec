// Replay: step through benchmark items, each analysed in both views (full image and key-region crop).
import { create } from 'zustand';
import type { BatchRecord, BenchItemSummary, DualAnalysisResult, RunInfo } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { isCancelled, toUiError, type UiError } from '../engine/errors.js';
import { useEngineStore } from './engine.js';
import { loadImage, type LoadedImage } from './inspect.js';

export type JudgeFilter = 'any' | 'correct' | 'wrong';
export type SortKey = 'row' | 'coverage-desc' | 'coverage-asc';

export interface ReplayFilters {
  dimension: string;
  questionType: 'all' | 'mcq' | 'blank';
  global: JudgeFilter;
  regional: JudgeFilter;
  /** Wrong on the full image but right on the crop: the items the zooming gap is made of. */
  gapOnly: boolean;
  search: string;
  sort: SortKey;
}

export interface ItemRecords {
  global?: BatchRecord;
  regional?: BatchRecord;
}

export interface ReplayItemView {
  itemId: string;
  modelId: string;
  dual: DualAnalysisResult;
  global: LoadedImage;
  regional: LoadedImage;
}

interface ReplayState {
  benchId: string | null;
  modelId: string | null;
  runId: string | null;
  runs: RunInfo[];
  records: Record<string, ItemRecords>;
  filters: ReplayFilters;
  selectedId: string | null;
  current: ReplayItemView | null;
  running: boolean;
  error: UiError | null;
  actions: {
    setBench: (id: string | null) => void;
    setModel: (id: string | null) => void;
    setRun: (runId: string | null) => Promise<void>;
    refreshRuns: () => Promise<void>;
    setFilters: (patch: Partial<ReplayFilters>) => void;
    select: (item: BenchItemSummary | null) => Promise<void>;
    /** Opens a run and an item together (links from the Batch table). */
    openFromRun: (run: RunInfo, itemId: string, items: BenchItemSummary[]) => Promise<void>;
    clearError: () => void;
  };
}

const CACHE_SIZE = 24;
const cache = new Map<string, ReplayItemView>();
let controller: AbortController | null = null;

function remember(key: string, v: ReplayItemView): void {
  cache.delete(key);
  cache.set(key, v);
  while (cache.size > CACHE_SIZE) {
    const [oldKey, old] = cache.entries().next().value as [string, ReplayItemView];
    cache.delete(oldKey);
    // Free the decoded images of items we stepped away from long ago (keeps memory flat over long sessions).
    if (useReplayStore.getState().current !== old) {
      URL.revokeObjectURL(old.global.url);
      URL.revokeObjectURL(old.regional.url);
    }
  }
}

export const DEFAULT_FILTERS: ReplayFilters = {
  dimension: 'all',
  questionType: 'all',
  global: 'any',
  regional: 'any',
  gapOnly: false,
  search: '',
  sort: 'row',
};

export const useReplayStore = create<ReplayState>()((set, get) => ({
  benchId: null,
  modelId: null,
  runId: null,
  runs: [],
  records: {},
  filters: DEFAULT_FILTERS,
  selectedId: null,
  current: null,
  running: false,
  error: null,
  actions: {
    setBench(benchId) {
      if (benchId === get().benchId) return;
      set({ benchId, selectedId: null, current: null, runId: null, records: {} });
    },
    setModel(modelId) {
      if (modelId === get().modelId) return;
      set({ modelId, current: null });
    },
    async refreshRuns() {
      try {
        set({ runs: await getClient().call('batch.list', {}) });
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    async setRun(runId) {
      set({ runId, records: {} });
      if (!runId) return;
      try {
        const recs = await getClient().call('batch.records', { runId });
        const records: Record<string, ItemRecords> = {};
        for (const r of recs) (records[r.itemId] ??= {})[r.view] = r;
        if (get().runId === runId) set({ records });
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    setFilters(patch) {
      set((s) => ({ filters: { ...s.filters, ...patch } }));
    },
    async select(item) {
      const { benchId, modelId } = get();
      set({ selectedId: item?.id ?? null, error: null });
      if (!item || !benchId || !modelId) return;
      const key = `${modelId}|${benchId}|${item.id}`;
      const hit = cache.get(key);
      if (hit) {
        set({ current: hit, running: false });
        return;
      }
      controller?.abort();
      controller = new AbortController();
      const signal = controller.signal;
      set({ running: true });
      try {
        await useEngineStore.getState().actions.ensureLoaded(modelId);
        const src = (view: 'global' | 'regional') => ({ kind: 'benchItem' as const, benchId, itemId: item.id, view });
        const [dual, global, regional] = await Promise.all([
          getClient().call(
            'analysis.dual',
            {
              modelId,
              image: src('global'),
              question: item.question,
              box: item.bbox,
              cropImage: item.hasCrop ? src('regional') : undefined,
              maxNewTokens: 16,
              withGeneric: true,
            },
            { signal },
          ),
          loadImage(src('global'), item.id),
          item.hasCrop ? loadImage(src('regional'), `${item.id} (crop)`) : Promise.resolve(null),
        ]);
        if (signal.aborted) return;
        // Without a stored crop the engine cut one from the box; show that same region.
        const regionalImg = regional ?? global;
        const v: ReplayItemView = { itemId: item.id, modelId, dual, global, regional: regionalImg };
        remember(key, v);
        if (get().selectedId === item.id) set({ current: v, running: false });
      } catch (e) {
        if (!signal.aborted && !isCancelled(e)) set({ error: toUiError(e), running: false });
      }
    },
    async openFromRun(run, itemId, items) {
      // Bench, model and item are set before anything awaits, so the view's own defaults never race them.
      const it = items.find((x) => x.id === itemId);
      set({ benchId: run.spec.benchId, modelId: run.spec.modelId, selectedId: it?.id ?? null, current: null });
      const records = get().actions.setRun(run.runId);
      if (it) await get().actions.select(it);
      await records;
    },
    clearError: () => set({ error: null }),
  },
}));

export const useReplayActions = () => useReplayStore((s) => s.actions);

/** Applies filters and sorting. Pure, so the list and keyboard stepping agree on the order. */
export function filterItems(
  items: BenchItemSummary[],
  f: ReplayFilters,
  records: Record<string, ItemRecords>,
  layer: number,
): BenchItemSummary[] {
  const judged = (r: BatchRecord | undefined, want: JudgeFilter) => want === 'any' || r?.judgement === want;
  const q = f.search.trim().toLowerCase();
  const out = items.filter((it) => {
    const rec = records[it.id];
    if (f.dimension !== 'all' && (it.dimension ?? '—') !== f.dimension) return false;
    if (f.questionType !== 'all' && it.questionType !== f.questionType) return false;
    if (!judged(rec?.global, f.global) || !judged(rec?.regional, f.regional)) return false;
    if (f.gapOnly && !(rec?.global?.judgement === 'wrong' && rec?.regional?.judgement === 'correct')) return false;
    if (q && !it.id.toLowerCase().includes(q) && !it.question.toLowerCase().includes(q)) return false;
    return true;
  });
  if (f.sort !== 'row') {
    const cov = (it: BenchItemSummary) => coverageOf(records[it.id]?.global, layer) ?? -1;
    out.sort((a, b) => (f.sort === 'coverage-desc' ? cov(b) - cov(a) : cov(a) - cov(b)));
  }
  return out;
}

/** Paper coverage of a record at a 1-based layer, falling back to the first recorded layer. */
export function coverageOf(r: BatchRecord | undefined, layer: number): number | undefined {
  if (!r) return undefined;
  const m = r.layers[String(layer)] ?? Object.values(r.layers)[0];
  return m?.coveragePaper;
}
