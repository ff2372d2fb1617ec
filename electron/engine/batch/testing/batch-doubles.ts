// TEST DOUBLES for the batch tests: an in-memory bench and a deterministic FAKE analyzer. Nothing
// here runs a model; the attention maps are made up from a hash of the item id so that every run
// (and every shard) produces identical records for the same item.
import type { AnalysisResult, AttentionMaps, BenchInfo, ModelInfo, View } from '../../../contract/types.js';
import { CancelledError } from '../../errors.js';
import type { BenchItem, LoadedBench } from '../../bench/types.js';
import type { DualAnalyzer } from '../types.js';
import { preprocessInfoDouble } from '../../preprocess/testing.js';

const GEOMETRY = { imageWidth: 100, imageHeight: 100, resizedWidth: 112, resizedHeight: 112, gridH: 4, gridW: 4, tokenPx: 28 };

export const MODEL_DOUBLE: ModelInfo = {
  id: '/models/fake',
  name: 'fake-model',
  dir: '/models/fake',
  family: 'qwen2_vl',
  numLayers: 4,
  numHeads: 2,
  numKvHeads: 2,
  defaultLayer: 3,
  hash: 'fakehash01',
  bundled: false,
  issues: [],
};

export function loadedBenchDouble(count: number, opts: { bad?: (i: number) => boolean } = {}): LoadedBench {
  const items: BenchItem[] = Array.from({ length: count }, (_, i) => {
    const id = opts.bad?.(i) ? `bad-${i}` : `item-${i}`;
    const mcq = i % 3 !== 2;
    return {
      id,
      row: i,
      question: mcq ? `Q${i}?\nA. one\nB. two\nC. three` : `How many ${i}?`,
      answer: mcq ? 'B' : '3',
      questionType: mcq ? 'mcq' : 'blank',
      dimension: ['counting', 'ocr'][i % 2],
      bbox: [10 + i, 20, 60 + i, 70],
      hasCrop: true,
      imageColumn: 'image',
      cropColumn: 'crop_image',
      readImage: async () => Buffer.from(`image-${id}`),
      readCrop: async () => Buffer.from(`crop-${id}`),
    };
  });
  const info: BenchInfo = {
    id: '/bench/fake',
    name: 'fake-bench',
    path: '/bench/fake',
    format: 'loupe-jsonl',
    itemCount: count,
    dimensions: ['counting', 'ocr'],
    issues: [],
    bundled: false,
  };
  const byId = new Map(items.map((it) => [it.id, it]));
  return {
    info,
    dataFile: '/bench/fake/test.jsonl',
    items,
    get: (id) => byId.get(id),
    summaries: () => items.map(({ readImage: _r, readCrop: _c, imageColumn: _i, cropColumn: _cc, ...s }) => s),
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function fakeMaps(seed: number): AttentionMaps {
  const numLayers = 4,
    numHeads = 2,
    gridH = 4,
    gridW = 4;
  const data = new Float32Array(numLayers * numHeads * 16);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 0.05;
  }
  return { numQueries: 1, numLayers, numHeads, gridH, gridW, data };
}

export interface AnalyzerDoubleOptions {
  /** Called before each analysis (e.g. to abort the run at the n-th item). */
  onCall?: (itemId: string, callIndex: number) => void;
  /** Milliseconds to "think", honouring the signal. */
  delayMs?: number;
}

/** Deterministic FAKE analyzer: items with id "bad-*" throw; item-k answers correctly when k is even. */
export function analyzerDouble(options: AnalyzerDoubleOptions = {}): DualAnalyzer & { calls: { itemId: string; views: View[] }[] } {
  const calls: { itemId: string; views: View[] }[] = [];
  const fn = async (input: Parameters<DualAnalyzer>[0], views: readonly View[], signal: AbortSignal) => {
    calls.push({ itemId: input.itemId, views: [...views] });
    options.onCall?.(input.itemId, calls.length - 1);
    if (options.delayMs) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, options.delayMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            reject(new CancelledError());
          },
          { once: true },
        );
      });
    }
    if (signal.aborted) throw new CancelledError();
    if (input.itemId.startsWith('bad-')) throw new Error(`fake analyzer: cannot decode ${input.itemId}`);
    const k = Number(input.itemId.split('-')[1]);
    const out: Partial<Record<View, AnalysisResult>> = {};
    for (const view of views) {
      const correct = view === 'regional' || k % 2 === 0;
      const answer = input.question.includes('A. one') ? (correct ? 'B' : 'C') : correct ? '3' : '5';
      out[view] = {
        modelId: MODEL_DOUBLE.id,
        provider: 'cpu',
        question: input.question,
        prompt: input.question,
        answer,
        tokens: [],
        geometry: GEOMETRY,
        attention: fakeMaps(hash(`${input.itemId}|${view}`)),
        preprocess: preprocessInfoDouble(GEOMETRY),
        timings: { preprocessMs: 0, visionMs: 0, prefillMs: 0, decodeMs: 0, metricsMs: 0 },
      };
    }
    return out;
  };
  return Object.assign(fn, { calls });
}
