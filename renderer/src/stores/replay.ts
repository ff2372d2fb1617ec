// Replay: step through benchmark items, each analysed in both views (full image and key-region crop)
// exactly as a batch run analyses it: each view needs only its own image, a box-less item runs both
// views, and an item that cannot be shown is shown as such (never with another item's images).
import { create } from 'zustand';
import type { BatchRecord, BenchItemSummary, DualAnalysisResult, RunInfo, View } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { isCancelled, toUiError, type UiError } from '../engine/errors.js';
import { useEngineStore } from './engine.js';
import { loadImage, type LoadedImage } from './inspect.js';
import { analysesKey, analysesRequest, NO_ANALYSES, type AnalysesChoice } from './analyses-choice.js';

export type JudgeFilter = 'any' | 'correct' | 'wrong' | 'unjudged' | 'failed';
type SortKey = 'row' | 'coverage-desc' | 'coverage-asc';

interface ReplayFilters {
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
  /** The image of each view, or why it could not be shown. */
  images: Partial<Record<View, LoadedImage>>;
  imageErrors: Partial<Record<View, string>>;
}

/** An item none of whose views could be shown: the message says why (row, id, column). */
interface ReplayFailure {
  itemId: string;
  error: UiError;
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
  failure: ReplayFailure | null;
  running: boolean;
  error: UiError | null;
  /** Opt-in analyses of the global view (docs/metrics.md); each costs extra passes per item. */
  analyses: AnalysesChoice;
  actions: {
    setBench: (id: string | null) => void;
    /** Switches an analysis; the open item is analysed again with it. */
    setAnalyses: (patch: Partial<AnalysesChoice>, items?: BenchItemSummary[]) => void;
    /** Another model; the open item (looked up in `items`) is analysed again with it. */
    setModel: (id: string | null, items?: BenchItemSummary[]) => void;
    setRun: (runId: string | null) => Promise<void>;
    refreshRuns: () => Promise<void>;
    setFilters: (patch: Partial<ReplayFilters>) => void;
    clearFilters: () => void;
    select: (item: BenchItemSummary | null) => Promise<void>;
    /** Opens a run and an item together (links from the Batch table). */
    openFromRun: (run: RunInfo, itemId: string, items: BenchItemSummary[]) => Promise<void>;
    clearError: () => void;
  };
}

const CACHE_SIZE = 24;
const cache = new Map<string, ReplayItemView>();
let controller: AbortController | null = null;

function revoke(v: ReplayItemView): void {
  for (const img of Object.values(v.images)) if (img) URL.revokeObjectURL(img.url);
}

function remember(key: string, v: ReplayItemView): void {
  cache.delete(key);
  cache.set(key, v);
  while (cache.size > CACHE_SIZE) {
    const [oldKey, old] = cache.entries().next().value as [string, ReplayItemView];
    cache.delete(oldKey);
    // Free the decoded images of items we stepped away from long ago (keeps memory flat over long sessions).
    if (useReplayStore.getState().current !== old) revoke(old);
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

/** How many filters narrow the list (sorting is not a filter). */
export function activeFilters(f: ReplayFilters): number {
  return (
    Number(f.dimension !== 'all') +
    Number(f.questionType !== 'all') +
    Number(f.global !== 'any') +
    Number(f.regional !== 'any') +
    Number(f.gapOnly) +
    Number(f.search.trim() !== '')
  );
}

const message = (e: unknown) => (e instanceof Error ? e.message : toUiError(e).message);

export const useReplayStore = create<ReplayState>()((set, get) => ({
  benchId: null,
  modelId: null,
  runId: null,
  runs: [],
  records: {},
  filters: DEFAULT_FILTERS,
  selectedId: null,
  current: null,
  failure: null,
  running: false,
  error: null,
  analyses: NO_ANALYSES,
  actions: {
    setAnalyses(patch, items = []) {
      set({ analyses: { ...get().analyses, ...patch } });
      const open = items.find((i) => i.id === get().selectedId);
      if (open) void get().actions.select(open);
    },
    setBench(benchId) {
      if (benchId === get().benchId) return;
      set({ benchId, selectedId: null, current: null, failure: null, runId: null, records: {} });
    },
    setModel(modelId, items = []) {
      if (modelId === get().modelId) return;
      set({ modelId, current: null, failure: null });
      // The open item stays open, analysed by the new model.
      const open = items.find((i) => i.id === get().selectedId);
      if (open) void get().actions.select(open);
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
    clearFilters() {
      set((s) => ({ filters: { ...DEFAULT_FILTERS, sort: s.filters.sort } }));
    },
    async select(item) {
      const { benchId, modelId, analyses } = get();
      set({ selectedId: item?.id ?? null, error: null });
      if (!item || !benchId || !modelId) return;
      const key = `${modelId}|${benchId}|${item.id}|${analysesKey(analyses)}`;
      const hit = cache.get(key);
      if (hit) {
        set({ current: hit, failure: null, running: false });
        return;
      }
      controller?.abort();
      controller = new AbortController();
      const signal = controller.signal;
      set({ running: true });
      try {
        await useEngineStore.getState().actions.ensureLoaded(modelId);
        const src = (view: View) => ({ kind: 'benchItem' as const, benchId, itemId: item.id, view });
        // The engine picks each view's image as a batch run does (the bench's crop, else the box cut out).
        const dual = await getClient().call(
          'analysis.dual',
          {
            modelId,
            image: src('global'),
            question: item.question,
            maxNewTokens: 16,
            withGeneric: true,
            ...analysesRequest(analyses),
            ...(analyses.faithfulness ? { faithfulness: {} } : {}),
          },
          { signal },
        );
        if (signal.aborted) return;
        // Shown in the frame the model saw: the analysis's protocol (EXIF applied under hf only).
        const protocol = (dual.global ?? dual.regional)?.preprocess.protocol ?? 'paper';
        const [global, regional] = await Promise.all([
          loadImage(src('global'), item.id, protocol).then(
            (img) => ({ img }),
            (e: unknown) => ({ err: message(e) }),
          ),
          item.hasCrop || item.bbox
            ? loadImage(src('regional'), `${item.id} (crop)`, protocol).then(
                (img) => ({ img }),
                (e: unknown) => ({ err: message(e) }),
              )
            : Promise.resolve({ err: 'the item has neither a crop image nor a key box' }),
        ]);
        if (signal.aborted) return;
        const images: ReplayItemView['images'] = {};
        const imageErrors: ReplayItemView['imageErrors'] = {};
        if ('img' in global) images.global = global.img;
        else imageErrors.global = global.err;
        if ('img' in regional) images.regional = regional.img;
        else imageErrors.regional = regional.err;
        const v: ReplayItemView = { itemId: item.id, modelId, dual, images, imageErrors };
        if (!dual.global && !dual.regional) {
          revoke(v);
          const why = [dual.errors?.global?.message, dual.errors?.regional?.message].filter(Boolean).join(' · ');
          if (get().selectedId === item.id)
            set({ current: null, failure: { itemId: item.id, error: { message: why || 'Neither view ran.', hint: '' } }, running: false });
          return;
        }
        remember(key, v);
        if (get().selectedId === item.id) set({ current: v, failure: null, running: false });
      } catch (e) {
        if (signal.aborted || isCancelled(e)) return;
        // Never leave the previous item's images under this item's error.
        if (get().selectedId === item.id) set({ current: null, failure: { itemId: item.id, error: toUiError(e) }, running: false });
      }
    },
    async openFromRun(run, itemId, items) {
      // Bench, model and item are set before anything awaits, so the view's own defaults never race them.
      const it = items.find((x) => x.id === itemId);
      set({ benchId: run.spec.benchId, modelId: run.spec.modelId, selectedId: it?.id ?? null, current: null, failure: null });
      const records = get().actions.setRun(run.runId);
      if (it) await get().actions.select(it);
      await records;
    },
    clearError: () => set({ error: null }),
  },
}));

export const useReplayActions = () => useReplayStore((s) => s.actions);

/** The verdict a record shows: its judgement, or "failed" when the model did not run. */
export function verdictOf(r: BatchRecord | undefined): Exclude<JudgeFilter, 'any'> | undefined {
  if (!r) return undefined;
  return r.error !== undefined ? 'failed' : r.judgement;
}

/** Applies filters and sorting. Pure, so the list and keyboard stepping agree on the order. */
export function filterItems(
  items: BenchItemSummary[],
  f: ReplayFilters,
  records: Record<string, ItemRecords>,
  layer: number,
): BenchItemSummary[] {
  const judged = (r: BatchRecord | undefined, want: JudgeFilter) => want === 'any' || verdictOf(r) === want;
  const q = f.search.trim().toLowerCase();
  const out = items.filter((it) => {
    const rec = records[it.id];
    if (f.dimension !== 'all' && (it.dimension ?? '—') !== f.dimension) return false;
    if (f.questionType !== 'all' && it.questionType !== f.questionType) return false;
    if (!judged(rec?.global, f.global) || !judged(rec?.regional, f.regional)) return false;
    if (f.gapOnly && !(verdictOf(rec?.global) === 'wrong' && verdictOf(rec?.regional) === 'correct')) return false;
    if (q && !it.id.toLowerCase().includes(q) && !it.question.toLowerCase().includes(q)) return false;
    return true;
  });
  if (f.sort !== 'row') {
    const cov = (it: BenchItemSummary) => coverageOf(records[it.id]?.global, layer) ?? -1;
    out.sort((a, b) => (f.sort === 'coverage-desc' ? cov(b) - cov(a) : cov(a) - cov(b)));
  }
  return out;
}

/** Paper coverage a run recorded for an item at a 1-based layer (undefined when that layer was not recorded). */
export function coverageOf(r: BatchRecord | undefined, layer: number): number | undefined {
  return r?.layers[String(layer)]?.coveragePaper;
}

/** The layer a run's records are read at: the wanted one when recorded, else the nearest recorded one. */
export function recordLayer(records: Record<string, ItemRecords>, wanted: number): number | null {
  const layers = new Set<number>();
  for (const r of Object.values(records)) for (const k of Object.keys(r.global?.layers ?? {})) layers.add(Number(k));
  if (layers.size === 0) return null;
  if (layers.has(wanted)) return wanted;
  return [...layers].reduce((best, l) => (Math.abs(l - wanted) < Math.abs(best - wanted) ? l : best));
}
