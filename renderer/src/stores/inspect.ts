// Inspect view: one image, one question, one key box, one model, one analysis.
import { create } from 'zustand';
import type { AnalysisResult, BenchItemSummary, Box, ImageSource } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { isCancelled, toUiError, type UiError } from '../engine/errors.js';
import { bytesToUrl, fileBytes } from '../util/image.js';
import { subscribeEngineEvents, useEngineStore } from './engine.js';

export interface LoadedImage {
  source: ImageSource;
  name: string;
  url: string;
  width: number;
  height: number;
}

interface InspectState {
  image: LoadedImage | null;
  question: string;
  box: Box | null;
  modelId: string | null;
  maxNewTokens: number;
  /** Opt-in analyses run with the next analysis (docs/metrics.md): each costs extra passes. */
  analyses: { selfZoom: boolean; faithfulness: boolean };
  /** The bench the item picker offers (null: the first one listed). */
  benchId: string | null;
  /** Set when the image and question came from a benchmark item. */
  benchItem: { benchId: string; item: BenchItemSummary } | null;
  result: AnalysisResult | null;
  running: boolean;
  stage: string | null;
  error: UiError | null;
  actions: {
    openFile: (file: File) => Promise<void>;
    openSource: (source: ImageSource, name: string) => Promise<void>;
    pickBenchItem: (benchId: string, item: BenchItemSummary) => Promise<void>;
    setBench: (benchId: string) => void;
    setQuestion: (q: string) => void;
    setBox: (b: Box | null) => void;
    setModel: (id: string) => void;
    setMaxNewTokens: (n: number) => void;
    setAnalysis: (name: 'selfZoom' | 'faithfulness', on: boolean) => void;
    run: () => Promise<void>;
    cancel: () => void;
    clearError: () => void;
  };
}

let controller: AbortController | null = null;

/** Fetches display bytes for any ImageSource through the engine. */
export async function loadImage(source: ImageSource, name: string): Promise<LoadedImage> {
  const got = await getClient().call('images.get', { source });
  return { source, name, url: bytesToUrl(got.bytes, got.mime), width: got.width, height: got.height };
}

export const useInspectStore = create<InspectState>()((set, get) => {
  const replaceImage = (image: LoadedImage) => {
    const old = get().image;
    if (old && old.url !== image.url) URL.revokeObjectURL(old.url);
    set({ image, result: null, error: null });
  };
  return {
    image: null,
    question: '',
    box: null,
    modelId: null,
    maxNewTokens: 16,
    analyses: { selfZoom: false, faithfulness: false },
    benchId: null,
    benchItem: null,
    result: null,
    running: false,
    stage: null,
    error: null,
    actions: {
      async openFile(file) {
        // The engine decodes the file now, as it will at Run: an empty, truncated, oversized or foreign file
        // is refused here with the engine's own reason, and the picture shown is the one the model sees
        // (EXIF orientation applied).
        if (file.size === 0) {
          set({ error: { message: `${file.name} is empty (0 bytes).`, hint: 'Open a JPEG, PNG or WebP image.', code: 'invalid-image' } });
          return;
        }
        try {
          const source: ImageSource = { kind: 'bytes', name: file.name, bytes: await fileBytes(file) };
          replaceImage(await loadImage(source, file.name));
          set({ box: null, benchItem: null });
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async openSource(source, name) {
        try {
          replaceImage(await loadImage(source, name));
          set({ box: null, benchItem: null });
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async pickBenchItem(benchId, item) {
        try {
          const img = await loadImage({ kind: 'benchItem', benchId, itemId: item.id, view: 'global' }, item.id);
          replaceImage(img);
          set({ question: item.question, box: item.bbox ?? null, benchItem: { benchId, item }, benchId });
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      setBench: (benchId) => set({ benchId }),
      setQuestion: (question) => set({ question }),
      setBox: (box) => set({ box }),
      setModel: (modelId) => set({ modelId, result: null }),
      setMaxNewTokens: (maxNewTokens) => set({ maxNewTokens: Math.max(1, Math.min(256, Math.round(maxNewTokens))) }),
      setAnalysis: (name, on) => set({ analyses: { ...get().analyses, [name]: on } }),
      async run() {
        const { image, question, modelId, box, maxNewTokens, analyses } = get();
        if (!image || !modelId || !question.trim()) return;
        controller?.abort();
        controller = new AbortController();
        const signal = controller.signal;
        set({ running: true, error: null, stage: 'loading model' });
        try {
          await useEngineStore.getState().actions.ensureLoaded(modelId);
          set({ stage: 'preprocess' });
          const result = await getClient().call(
            'analysis.run',
            {
              modelId,
              image: image.source,
              question,
              box: box ?? undefined,
              maxNewTokens,
              withGeneric: true,
              ...(analyses.selfZoom ? { selfZoom: {} } : {}),
              ...(analyses.faithfulness ? { faithfulness: {} } : {}),
            },
            { signal },
          );
          if (!signal.aborted) set({ result });
        } catch (e) {
          if (!isCancelled(e) && !signal.aborted) set({ error: toUiError(e) });
        } finally {
          if (!signal.aborted || get().running) set({ running: false, stage: null });
        }
      },
      cancel() {
        controller?.abort();
        set({ running: false, stage: null });
      },
      clearError: () => set({ error: null }),
    },
  };
});

export const useInspectActions = () => useInspectStore((s) => s.actions);

// Stage events carry the engine's request id, which the client does not expose; while one analysis
// runs at a time, the latest stage is ours.
subscribeEngineEvents((ev) => {
  if (ev.type === 'analysis.stage' && useInspectStore.getState().running) useInspectStore.setState({ stage: ev.stage });
});
