// Inspect view: one image, one question, one key box, one model, one analysis.
import { create } from 'zustand';
import type { AnalysisResult, BenchItemSummary, Box, ImageSource, PreprocessProtocol } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { isCancelled, toUiError, type UiError } from '../engine/errors.js';
import { bytesToUrl, fileBytes } from '../util/image.js';
import { subscribeEngineEvents, useEngineStore } from './engine.js';
import { analysesRequest, NO_ANALYSES, type AnalysesChoice } from './analyses-choice.js';

export interface LoadedImage {
  source: ImageSource;
  name: string;
  url: string;
  width: number;
  height: number;
  /** The frame the display bytes are in: paper = the stored frame, hf = EXIF orientation applied. */
  protocol: PreprocessProtocol;
  /** What the protocol's pipeline changes in this image (16-bit saturation, an EXIF rotation ignored). */
  warnings: string[];
}

interface InspectState {
  image: LoadedImage | null;
  question: string;
  box: Box | null;
  modelId: string | null;
  maxNewTokens: number;
  /** Opt-in analyses run with the next analysis (docs/metrics.md): each costs extra passes. */
  analyses: AnalysesChoice;
  /** Image preparation (docs/preprocessing.md): paper = the paper's scripts' chain, hf = transformers'. */
  protocol: PreprocessProtocol;
  /** A lower pixel budget for the processor's resize; null = the protocol's own. */
  maxPixels: number | null;
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
    setAnalyses: (patch: Partial<AnalysesChoice>) => void;
    setProtocol: (p: PreprocessProtocol) => Promise<void>;
    setMaxPixels: (n: number | null) => void;
    run: () => Promise<void>;
    cancel: () => void;
    clearError: () => void;
  };
}

let controller: AbortController | null = null;

/** Fetches display bytes for any ImageSource through the engine, in the protocol's frame (EXIF applied under hf only). */
export async function loadImage(source: ImageSource, name: string, protocol: PreprocessProtocol = 'paper'): Promise<LoadedImage> {
  const got = await getClient().call('images.get', { source, protocol });
  return { source, name, url: bytesToUrl(got.bytes, got.mime), width: got.width, height: got.height, protocol, warnings: [] };
}

/**
 * An image the user opens: checked as the protocol will decode it (a truncated, foreign or 200:1 image is
 * refused here, naming the file and the cause, not at Run), then loaded for display with its warnings.
 */
export async function openImage(source: ImageSource, name: string, protocol: PreprocessProtocol): Promise<LoadedImage> {
  const check = await getClient().call('images.check', { source, protocol });
  return { ...(await loadImage(source, name, protocol)), warnings: check.warnings };
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
    analyses: NO_ANALYSES,
    protocol: 'paper',
    maxPixels: null,
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
          replaceImage(await openImage(source, file.name, get().protocol));
          set({ box: null, benchItem: null });
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async openSource(source, name) {
        try {
          replaceImage(await openImage(source, name, get().protocol));
          set({ box: null, benchItem: null });
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      async pickBenchItem(benchId, item) {
        try {
          const img = await openImage({ kind: 'benchItem', benchId, itemId: item.id, view: 'global' }, item.id, get().protocol);
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
      setAnalyses: (patch) => set({ analyses: { ...get().analyses, ...patch } }),
      async setProtocol(protocol) {
        if (protocol === get().protocol) return;
        set({ protocol, result: null });
        // The frame can change (EXIF is applied under hf only): show the picture the model will see.
        const image = get().image;
        if (!image) return;
        try {
          const again = await openImage(image.source, image.name, protocol);
          const old = get().image;
          if (old && old.url !== again.url) URL.revokeObjectURL(old.url);
          set({ image: again });
        } catch (e) {
          set({ error: toUiError(e) });
        }
      },
      setMaxPixels: (maxPixels) =>
        set({ maxPixels: maxPixels === null || !Number.isFinite(maxPixels) || maxPixels < 1 ? null : Math.round(maxPixels), result: null }),
      async run() {
        const { image, question, modelId, box, maxNewTokens, analyses, protocol, maxPixels } = get();
        if (!image || !modelId || !question.trim()) return;
        controller?.abort();
        controller = new AbortController();
        const signal = controller.signal;
        set({ running: true, error: null, stage: 'loading model' });
        try {
          // A large model the guard refuses at the protocol's budget loads at the Max pixels the user set.
          await useEngineStore.getState().actions.ensureLoaded(modelId, maxPixels ?? undefined);
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
              ...analysesRequest(analyses),
              ...(analyses.faithfulness ? { faithfulness: {} } : {}),
              preprocess: { protocol, ...(maxPixels !== null ? { maxPixels } : {}) },
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
