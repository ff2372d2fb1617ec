// Compare: two checkpoints on one item (side by side + difference map), and over two batch runs.
import { create } from 'zustand';
import type {
  AnalysisResult,
  BatchRecord,
  BenchItemSummary,
  CompareSummary,
  ImageSource,
  PreprocessProtocol,
} from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { isCancelled, toUiError, type UiError } from '../engine/errors.js';
import { useEngineStore } from './engine.js';
import { loadImage, type LoadedImage } from './inspect.js';

interface CompareSubject {
  image: LoadedImage;
  question: string;
  box: BenchItemSummary['bbox'];
  label: string;
  answer?: string;
  /** False when the image URL belongs to another view (Inspect): then it must not be revoked here. */
  ownsUrl: boolean;
  /** The user chose the protocol (Inspect's): both models run in it. Otherwise model A's own decides. */
  fixedProtocol?: boolean;
}

interface CompareState {
  /** The bench the item picker offers (null: the first one listed). */
  benchId: string | null;
  modelA: string | null;
  modelB: string | null;
  subject: CompareSubject | null;
  resultA: AnalysisResult | null;
  resultB: AnalysisResult | null;
  running: boolean;
  runA: string | null;
  runB: string | null;
  summary: CompareSummary | null;
  recordsA: BatchRecord[];
  recordsB: BatchRecord[];
  error: UiError | null;
  actions: {
    setModels: (a: string | null, b: string | null) => void;
    setBench: (benchId: string) => void;
    setBenchItem: (benchId: string, item: BenchItemSummary) => Promise<void>;
    setSubject: (s: CompareSubject) => void;
    runItem: () => Promise<void>;
    setRuns: (a: string | null, b: string | null) => void;
    compareRuns: () => Promise<void>;
    clearError: () => void;
  };
}

let controller: AbortController | null = null;

export const useCompareStore = create<CompareState>()((set, get) => ({
  benchId: null,
  modelA: null,
  modelB: null,
  subject: null,
  resultA: null,
  resultB: null,
  running: false,
  runA: null,
  runB: null,
  summary: null,
  recordsA: [],
  recordsB: [],
  error: null,
  actions: {
    setModels(modelA, modelB) {
      set({ modelA, modelB, resultA: null, resultB: null });
    },
    setBench(benchId) {
      set({ benchId });
    },
    async setBenchItem(benchId, item) {
      try {
        const source: ImageSource = { kind: 'benchItem', benchId, itemId: item.id, view: 'global' };
        const image = await loadImage(source, item.id);
        set({ benchId });
        get().actions.setSubject({ image, question: item.question, box: item.bbox, label: item.id, answer: item.answer, ownsUrl: true });
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    setSubject(subject) {
      const old = get().subject;
      if (old && old.ownsUrl && old.image.url !== subject.image.url) URL.revokeObjectURL(old.image.url);
      set({ subject, resultA: null, resultB: null });
    },
    async runItem() {
      const { modelA, modelB, subject } = get();
      if (!modelA || !modelB || !subject) return;
      controller?.abort();
      controller = new AbortController();
      const signal = controller.signal;
      set({ running: true, error: null, resultA: null, resultB: null });
      try {
        const { ensureLoaded } = useEngineStore.getState().actions;
        const req = (modelId: string, protocol: PreprocessProtocol | undefined) => ({
          modelId,
          image: subject.image.source,
          question: subject.question,
          box: subject.box,
          maxNewTokens: 16,
          withGeneric: true,
          ...(protocol ? { preprocess: { protocol } } : {}),
        });
        // One after the other: the engine runs on the same cores, parallel calls would only interleave.
        // Both models see the image through one protocol: the subject's (Inspect's choice), else model A's own,
        // so the two maps, their difference and the picture under them share one frame.
        await ensureLoaded(modelA);
        const resultA = await getClient().call('analysis.run', req(modelA, subject.fixedProtocol ? subject.image.protocol : undefined), {
          signal,
        });
        const protocol = resultA.preprocess.protocol;
        if (protocol !== subject.image.protocol) {
          const image = await loadImage(subject.image.source, subject.image.name, protocol);
          if (signal.aborted) {
            URL.revokeObjectURL(image.url);
            return;
          }
          if (subject.ownsUrl) URL.revokeObjectURL(subject.image.url);
          set({ subject: { ...subject, image, ownsUrl: true } });
        }
        set({ resultA });
        await ensureLoaded(modelB);
        const resultB = await getClient().call('analysis.run', req(modelB, protocol), { signal });
        set({ resultB });
      } catch (e) {
        if (!signal.aborted && !isCancelled(e)) set({ error: toUiError(e) });
      } finally {
        if (!signal.aborted) set({ running: false });
      }
    },
    setRuns(runA, runB) {
      set({ runA, runB, summary: null, recordsA: [], recordsB: [] });
    },
    async compareRuns() {
      const { runA, runB } = get();
      if (!runA || !runB) return;
      try {
        const c = getClient();
        const [summary, recordsA, recordsB] = await Promise.all([
          c.call('compare.runs', { runA, runB }),
          c.call('batch.records', { runId: runA, view: 'global' }),
          c.call('batch.records', { runId: runB, view: 'global' }),
        ]);
        set({ summary, recordsA, recordsB, error: null });
      } catch (e) {
        set({ error: toUiError(e) });
      }
    },
    clearError: () => set({ error: null }),
  },
}));

export const useCompareActions = () => useCompareStore((s) => s.actions);
