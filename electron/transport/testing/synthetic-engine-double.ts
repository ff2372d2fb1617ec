// A deterministic stand-in EngineHandler for UI development and the UI bench: real bench images and
// items from resources/bench/loupe-mini, synthetic attention maps shaped like a model's (a sink, a
// question-dependent blob on the key box that sharpens with depth). The e2e tests use the real engine;
// this exists so the renderer can be exercised without ONNX models (and timed without model noise).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineEvent, EngineHandler, MethodName, ParamsOf, ResultOf } from '../../contract/api.js';
import { preprocessInfoDouble } from '../../engine/preprocess/testing.js';
import type {
  AnalysisResult,
  AttentionMaps,
  BatchRecord,
  BenchItemSummary,
  Box,
  GridGeometry,
  ImageSource,
  ModelInfo,
  RunInfo,
} from '../../contract/types.js';

interface RawItem {
  id: string;
  images: string[];
  crop_images: string[];
  query: string;
  response: string;
  bbox: Box;
  question_type: 'mcq' | 'blank';
  dimension: string;
  width: number;
  height: number;
}

export function createSyntheticEngineDouble(
  benchJson: string,
  opts: { layers?: number; heads?: number; tokenPx?: number; budget?: number } = {},
): EngineHandler {
  const L = opts.layers ?? 4;
  const H = opts.heads ?? 4;
  const tokenPx = opts.tokenPx ?? 28;
  const budget = opts.budget ?? 448 * 448;
  const dir = dirname(benchJson);
  const raw: RawItem[] = JSON.parse(readFileSync(benchJson, 'utf8'));
  const items: BenchItemSummary[] = raw.map((r, row) => ({
    id: r.id,
    row,
    question: r.query,
    answer: r.response,
    questionType: r.question_type,
    dimension: r.dimension,
    bbox: r.bbox,
    imageWidth: r.width,
    imageHeight: r.height,
    hasCrop: true,
  }));
  const listeners = new Set<(e: EngineEvent) => void>();
  const model = (name: string, sharp: number): ModelInfo & { sharp: number } => ({
    id: `/fake/${name}`,
    name,
    dir: `/fake/${name}`,
    family: 'qwen2_vl',
    numLayers: L,
    numHeads: H,
    numKvHeads: 2,
    defaultLayer: Math.max(1, Math.round((2 / 3) * L)),
    hash: name.slice(-4),
    bundled: true,
    issues: [],
    sharp,
  });
  const models = [model('loupe-tiny-base', 0.5), model('loupe-tiny-r2i', 2)];
  const runs = new Map<string, { info: RunInfo; records: BatchRecord[] }>();

  const itemOf = (id: string) => {
    const i = raw.find((r) => r.id === id);
    if (!i) throw Object.assign(new Error(`No item ${id}`), { code: 'not-found' });
    return i;
  };
  const sizeOf = (src: ImageSource): { w: number; h: number; bytes: Uint8Array; box?: Box } => {
    if (src.kind === 'benchItem') {
      const it = itemOf(src.itemId);
      const rel = src.view === 'global' ? it.images[0] : it.crop_images[0];
      const bytes = new Uint8Array(readFileSync(join(dir, rel)));
      if (src.view === 'global') return { w: it.width, h: it.height, bytes, box: it.bbox };
      return { w: it.bbox[2] - it.bbox[0], h: it.bbox[3] - it.bbox[1], bytes };
    }
    if (src.kind === 'bytes') return { w: 640, h: 480, bytes: src.bytes };
    return { w: 640, h: 480, bytes: new Uint8Array(readFileSync(src.path)) };
  };
  const geometry = (w: number, h: number): GridGeometry => {
    const f = Math.sqrt(budget / (w * h));
    const gridW = Math.max(1, Math.round((w * f) / tokenPx));
    const gridH = Math.max(1, Math.round((h * f) / tokenPx));
    return { imageWidth: w, imageHeight: h, resizedWidth: gridW * tokenPx, resizedHeight: gridH * tokenPx, gridH, gridW, tokenPx };
  };
  const maps = (g: GridGeometry, box: Box | undefined, sharp: number, queries: number, seed: number): AttentionMaps => {
    const cells = g.gridH * g.gridW;
    const data = new Float32Array(queries * L * H * cells);
    const cx = box ? ((box[0] + box[2]) / 2 / g.imageWidth) * g.gridW : g.gridW / 2;
    const cy = box ? ((box[1] + box[3]) / 2 / g.imageHeight) * g.gridH : g.gridH / 2;
    // The blob is separable (exp(-(dx² + dy²)/2σ²) = ex · ey) and the texture depends on the layer only:
    // a Qwen3-VL-8B-sized analysis (2 queries x 36 layers x 32 heads x 1024 cells) builds in milliseconds,
    // so the UI bench times the UI, not this double.
    const texture = Array.from({ length: L }, (_, l) => {
      const t = new Float32Array(cells);
      for (let r = 0; r < g.gridH; r++) for (let c = 0; c < g.gridW; c++) t[r * g.gridW + c] = 0.5 * Math.sin(r * 3.1 + c * 1.3 + seed + l);
      return t;
    });
    const textureSum = texture.map((t) => t.reduce((x, y) => x + y, 0));
    const ex = new Float32Array(g.gridW);
    const ey = new Float32Array(g.gridH);
    for (let q = 0; q < queries; q++)
      for (let l = 0; l < L; l++)
        for (let h = 0; h < H; h++) {
          const off = ((q * L + l) * H + h) * cells;
          const depth = (l + 1) / L;
          const focus = sharp * depth * (0.6 + 0.4 * Math.sin(seed + h * 1.7 + q));
          const sigma = 0.8 + 3 * (1 - depth) + h * 0.3;
          for (let c = 0; c < g.gridW; c++) ex[c] = Math.exp(-((c + 0.5 - cx) ** 2) / (2 * sigma * sigma));
          for (let r = 0; r < g.gridH; r++) ey[r] = focus * 12 * Math.exp(-((r + 0.5 - cy) ** 2) / (2 * sigma * sigma));
          const tex = texture[l];
          // The total is known before the values (cells + Σey·Σex + Σtexture + sink): one pass writes them normalised.
          let sumX = 0;
          let sumY = 0;
          for (let c = 0; c < g.gridW; c++) sumX += ex[c];
          for (let r = 0; r < g.gridH; r++) sumY += ey[r];
          const sink = 20 * (1 - depth);
          const scale = (0.3 + 0.4 * depth) / (cells + sumX * sumY + textureSum[l] + sink);
          for (let r = 0; r < g.gridH; r++) {
            const row = r * g.gridW;
            const yr = ey[r];
            for (let c = 0; c < g.gridW; c++) data[off + row + c] = (1 + yr * ex[c] + tex[row + c]) * scale;
          }
          data[off] += sink * scale; // the sink in the first cell
        }
    return { numQueries: queries, numLayers: L, numHeads: H, gridH: g.gridH, gridW: g.gridW, data };
  };
  // The generic prompt's attention depends on the image and the model only, not on the question: kept per
  // model and grid, as an engine could keep it per image.
  const genericCache = new Map<string, AttentionMaps>();
  const generic = (modelName: string, g: GridGeometry): AttentionMaps => {
    const key = `${modelName}|${g.gridH}x${g.gridW}`;
    let hit = genericCache.get(key);
    if (!hit) genericCache.set(key, (hit = maps(g, undefined, 0.2, 1, 3)));
    return hit;
  };
  const analyze = (p: ParamsOf<'analysis.run'>): AnalysisResult => {
    const m = models.find((x) => x.id === p.modelId);
    if (!m) throw Object.assign(new Error(`Unknown model ${p.modelId}`), { code: 'not-found' });
    const s = sizeOf(p.image);
    const g = geometry(s.w, s.h);
    const box = p.box ?? s.box;
    const seed = p.question.length % 7;
    const answer =
      p.image.kind === 'benchItem' ? (m.sharp > 1 || p.image.view === 'regional' ? itemOf(p.image.itemId).response : 'B') : 'A';
    const tokens = [
      { id: 33, text: answer, prob: 0.55 + 0.1 * m.sharp },
      { id: 2, text: '<|im_end|>', prob: 0.97 },
    ];
    return {
      modelId: m.id,
      provider: 'cpu',
      question: p.question,
      prompt: p.question,
      answer,
      tokens,
      geometry: g,
      attention: maps(g, p.image.kind === 'benchItem' && p.image.view === 'regional' ? undefined : box, m.sharp, 2, seed),
      genericAttention: generic(m.name, g),
      preprocess: preprocessInfoDouble(g, p.preprocess?.protocol ?? 'paper'),
      box: p.box,
      timings: { preprocessMs: 5, visionMs: 20, prefillMs: 30, decodeMs: 15, metricsMs: 1 },
    };
  };

  const handlers: { [M in MethodName]?: (p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> } = {
    'engine.info': () => ({ version: 'fake', resourcesDir: '/fake', runsDir: '/fake/runs' }),
    'models.list': () => models,
    'models.load': (p) => ({ modelId: p.modelId, provider: 'cpu', providerAttempts: [{ provider: 'cpu', ok: true }] }),
    'bench.list': () => [
      {
        id: 'loupe-mini',
        name: 'loupe-mini',
        path: benchJson,
        format: 'zoombench-json',
        itemCount: items.length,
        dimensions: [...new Set(items.map((i) => i.dimension!))],
        issues: [],
        bundled: true,
      },
    ],
    'bench.items': () => items,
    'images.check': (p) => {
      const s = sizeOf(p.source);
      return { name: p.source.kind === 'path' ? p.source.path : 'image', width: s.w, height: s.h, warnings: [] };
    },
    'images.get': (p) => {
      const s = sizeOf(p.source);
      return { mime: 'image/jpeg', bytes: s.bytes, width: s.w, height: s.h };
    },
    'analysis.run': (p) => analyze(p),
    'analysis.dual': (p) => {
      const global = analyze(p);
      // As the engine does: a bench item's regional view is its crop.
      const crop = p.cropImage ?? (p.image.kind === 'benchItem' ? { ...p.image, view: 'regional' as const } : p.image);
      const regional = analyze({ ...p, image: crop, box: undefined });
      const cropBox = p.box ?? (p.image.kind === 'benchItem' ? itemOf(p.image.itemId).bbox : undefined) ?? [0, 0, 1, 1];
      regional.geometry.cropInFull = cropBox;
      const g = global.geometry;
      const cells = g.gridH * g.gridW;
      const data = new Float32Array(L * cells);
      for (let l = 0; l < L; l++)
        for (let r = 0; r < g.gridH; r++)
          for (let c = 0; c < g.gridW; c++) {
            const x = ((c + 0.5) / g.gridW) * g.imageWidth;
            const y = ((r + 0.5) / g.gridH) * g.imageHeight;
            if (x < cropBox[0] || x >= cropBox[2] || y < cropBox[1] || y >= cropBox[3]) continue;
            const rc = Math.min(
              regional.geometry.gridW - 1,
              Math.floor(((x - cropBox[0]) / (cropBox[2] - cropBox[0])) * regional.geometry.gridW),
            );
            const rr = Math.min(
              regional.geometry.gridH - 1,
              Math.floor(((y - cropBox[1]) / (cropBox[3] - cropBox[1])) * regional.geometry.gridH),
            );
            data[l * cells + r * g.gridW + c] =
              regional.attention.data[l * H * regional.geometry.gridH * regional.geometry.gridW + rr * regional.geometry.gridW + rc];
          }
      return { global, regional, regionalInFull: { numLayers: L, gridH: g.gridH, gridW: g.gridW, data } };
    },
    'batch.list': () => [...runs.values()].map((r) => r.info),
  };

  return {
    async handle<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
      const h = handlers[method] as ((p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>) | undefined;
      if (!h) throw Object.assign(new Error(`The fake engine does not implement ${method}.`), { code: 'bad-request' });
      return h(params);
    },
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
