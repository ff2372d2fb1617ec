// The renderer's stores over a fake engine client: each view's own selection, Replay's handling of
// broken items, filters, the batch store's identical-spec offer and its one source of progress.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineClient, MethodName, ParamsOf, ResultOf } from '../../../electron/contract/api.js';
import type {
  AnalysisResult,
  BatchRecord,
  BenchItemSummary,
  DualAnalysisResult,
  PreprocessProtocol,
  RunInfo,
} from '../../../electron/contract/types.js';
import { useCompareStore } from './compare.js';
import { setClient } from '../engine/client.js';
import { useSelectionStore } from './selection.js';
import { DEFAULT_FILTERS, activeFilters, filterItems, recordLayer, useReplayStore, verdictOf, type ItemRecords } from './replay.js';
import { runProgress, useBatchStore } from './batch.js';
import { useEngineStore } from './engine.js';
import { useInspectStore, type LoadedImage } from './inspect.js';
import { NO_ANALYSES } from './analyses-choice.js';
import { formatEta } from '../views/batch/BatchRuns.js';
import { runTitle, settingsText } from '../views/batch/runText.js';

type Handlers = { [M in MethodName]?: (p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };

/** A client answering from `handlers`; every call is recorded. */
function fakeClient(handlers: Handlers): EngineClient & { calls: { method: MethodName; params: unknown }[] } {
  const calls: { method: MethodName; params: unknown }[] = [];
  return {
    calls,
    async call(method, params) {
      calls.push({ method, params });
      const h = handlers[method] as ((p: unknown) => unknown) | undefined;
      if (!h) throw { code: 'bad-request', message: `not faked: ${method}` };
      return h(params) as never;
    },
    onEvent: () => () => {},
  };
}

const item = (id: string, extra: Partial<BenchItemSummary> = {}): BenchItemSummary => ({
  id,
  row: Number(id.replace(/\D/g, '')) || 0,
  question: `Q ${id}?`,
  answer: 'B',
  questionType: 'mcq',
  hasCrop: true,
  bbox: [1, 1, 5, 5],
  ...extra,
});

const rec = (
  itemId: string,
  view: 'global' | 'regional',
  judgement: BatchRecord['judgement'],
  extra: Partial<BatchRecord> = {},
): BatchRecord => ({
  key: `${itemId}|${view}`,
  itemId,
  view,
  modelHash: 'h',
  settingsHash: 's',
  question: 'q',
  groundTruth: 'B',
  answer: 'B',
  extracted: 'B',
  judgement,
  questionType: 'mcq',
  layers: {},
  finishedAt: '2026-01-01T00:00:00Z',
  ...extra,
});

describe('selection store', () => {
  beforeEach(() => {
    for (const scope of ['inspect', 'replay', 'compare'] as const) useSelectionStore.getState().actions.reset(scope);
  });
  it('keeps one selection per view: a head chosen in Inspect leaves Replay and Compare as they were', () => {
    const { set } = useSelectionStore.getState().actions;
    set('inspect', { head: 2, query: 1 });
    expect(useSelectionStore.getState().inspect).toMatchObject({ head: 2, query: 1 });
    expect(useSelectionStore.getState().replay).toMatchObject({ head: 'mean', query: 0, layer: null });
    expect(useSelectionStore.getState().compare).toMatchObject({ head: 'mean', query: 0 });
    set('replay', { layer: 3, layerTo: 5 });
    expect(useSelectionStore.getState().inspect.layer).toBeNull();
  });
});

describe('replay filters', () => {
  const items = [
    item('i1', { dimension: 'ocr' }),
    item('i2', { dimension: 'color' }),
    item('i3', { dimension: 'ocr', questionType: 'blank' }),
  ];
  const cov = (c: number) => ({ '3': { coveragePaper: c, coverageArea: c, ratio: 1, pointing: true, entropy: 1 } });
  const records: Record<string, ItemRecords> = {
    i1: { global: rec('i1', 'global', 'wrong', { layers: cov(0.2) }), regional: rec('i1', 'regional', 'correct') },
    i2: {
      global: rec('i2', 'global', 'unjudged', { error: 'row 2 (id i2), column image: broken', layers: {} }),
      regional: rec('i2', 'regional', 'unjudged'),
    },
    i3: { global: rec('i3', 'global', 'correct', { layers: cov(0.5) }) },
  };
  it('filter by verdict, failed apart from unjudged, and the zooming-gap items', () => {
    const f = (patch: Partial<typeof DEFAULT_FILTERS>) => filterItems(items, { ...DEFAULT_FILTERS, ...patch }, records, 3).map((i) => i.id);
    expect(f({ global: 'failed' })).toEqual(['i2']);
    expect(f({ regional: 'unjudged' })).toEqual(['i2']);
    expect(f({ gapOnly: true })).toEqual(['i1']);
    expect(f({ dimension: 'ocr', questionType: 'blank' })).toEqual(['i3']);
    expect(f({ search: 'q i2' })).toEqual(['i2']);
    expect(f({ sort: 'coverage-desc' })).toEqual(['i3', 'i1', 'i2']);
    expect(activeFilters({ ...DEFAULT_FILTERS, global: 'failed', search: ' x ', sort: 'coverage-asc' })).toBe(2);
    expect(verdictOf(records.i2.global)).toBe('failed');
  });
  it('reads records at the layer shown when recorded, else at the nearest recorded one', () => {
    expect(recordLayer(records, 3)).toBe(3);
    expect(recordLayer(records, 24)).toBe(3);
    expect(recordLayer({}, 3)).toBeNull();
  });
});

const analysis = (answer: string, protocol: PreprocessProtocol = 'paper'): AnalysisResult => ({
  modelId: 'm',
  provider: 'cpu',
  question: 'q',
  prompt: 'q',
  answer,
  tokens: [],
  geometry: { imageWidth: 8, imageHeight: 8, resizedWidth: 56, resizedHeight: 56, gridH: 2, gridW: 2, tokenPx: 28 },
  attention: { numQueries: 1, numLayers: 1, numHeads: 1, gridH: 2, gridW: 2, data: new Float32Array(4).fill(0.25) },
  preprocess: {
    protocol,
    maxPixels: 2048 * 2048,
    sourceWidth: 8,
    sourceHeight: 8,
    fetchWidth: 56,
    fetchHeight: 56,
    resizedWidth: 56,
    resizedHeight: 56,
    gridThw: [1, 4, 4],
    warnings: [],
  },
  timings: { preprocessMs: 0, visionMs: 0, prefillMs: 0, decodeMs: 0, metricsMs: 0 },
});
const png = new Uint8Array([137, 80, 78, 71]);

describe('images are shown in the frame the model saw (EXIF applied under hf only)', () => {
  beforeEach(() => useEngineStore.setState({ loaded: {} }));
  it('Replay loads both views in the analysis’s protocol', async () => {
    const client = fakeClient({
      'models.load': (p) => ({ modelId: p.modelId, provider: 'cpu', providerAttempts: [] }),
      'analysis.dual': () => ({ global: analysis('B', 'hf'), regional: analysis('B', 'hf') }),
      'images.get': () => ({ mime: 'image/png', bytes: png, width: 8, height: 8 }),
    });
    setClient(client);
    useReplayStore.setState({ benchId: 'b', modelId: 'm-hf', current: null, failure: null, selectedId: null });
    await useReplayStore.getState().actions.select(item('exif'));
    const gets = client.calls.filter((c) => c.method === 'images.get').map((c) => (c.params as { protocol?: string }).protocol);
    expect(gets).toEqual(['hf', 'hf']);
    expect(useReplayStore.getState().current?.images.global?.protocol).toBe('hf');
  });
  it('Compare runs model B in model A’s protocol and reloads the picture in it', async () => {
    const client = fakeClient({
      'models.load': (p) => ({ modelId: p.modelId, provider: 'cpu', providerAttempts: [] }),
      'analysis.run': (p) => ({ ...analysis('B', p.preprocess?.protocol ?? 'hf'), modelId: p.modelId }),
      'images.get': (p) => ({ mime: 'image/png', bytes: png, width: p.protocol === 'hf' ? 6 : 8, height: 8 }),
    });
    setClient(client);
    const { setModels, setBenchItem, runItem } = useCompareStore.getState().actions;
    setModels('a', 'b');
    await setBenchItem('bench', item('exif'));
    expect(useCompareStore.getState().subject?.image.protocol).toBe('paper');
    await runItem();
    const runs = client.calls.filter((c) => c.method === 'analysis.run').map((c) => (c.params as { preprocess?: unknown }).preprocess);
    expect(runs).toEqual([undefined, { protocol: 'hf' }]);
    const st = useCompareStore.getState();
    expect(st.subject?.image).toMatchObject({ protocol: 'hf', width: 6 });
    expect(st.resultB?.preprocess.protocol).toBe('hf');
  });
});

describe('inspect store', () => {
  beforeEach(() => useEngineStore.setState({ loaded: {} }));
  it('loads the model at the Max pixels set (the memory guard plans for it) and runs at it', async () => {
    const client = fakeClient({
      'models.load': (p) => ({ modelId: p.modelId, provider: 'cpu', providerAttempts: [] }),
      'analysis.run': () => analysis('B'),
    });
    setClient(client);
    const image: LoadedImage = {
      source: { kind: 'path', path: 'x.png' },
      name: 'x.png',
      url: '',
      width: 8,
      height: 8,
      protocol: 'paper',
      warnings: [],
    };
    useInspectStore.setState({ image, question: 'q', modelId: 'm-big', result: null, error: null });
    useInspectStore.getState().actions.setMaxPixels(1505280);
    await useInspectStore.getState().actions.run();
    const load = client.calls.find((c) => c.method === 'models.load')?.params as ParamsOf<'models.load'>;
    expect(load).toMatchObject({ modelId: 'm-big', maxPixels: 1505280 });
    const run = client.calls.find((c) => c.method === 'analysis.run')?.params as ParamsOf<'analysis.run'>;
    expect(run.preprocess).toEqual({ protocol: 'paper', maxPixels: 1505280 });
    // without a Max pixels the load is the engine's own plan
    useEngineStore.setState({ loaded: {} });
    useInspectStore.getState().actions.setMaxPixels(null);
    await useInspectStore.getState().actions.run();
    const loads = client.calls.filter((c) => c.method === 'models.load').map((c) => c.params as ParamsOf<'models.load'>);
    expect(loads[1]?.maxPixels).toBeUndefined();
  });
});

describe('replay store', () => {
  let duals: Record<string, DualAnalysisResult>;
  beforeEach(() => {
    duals = {
      good: { global: analysis('B'), regional: analysis('B') },
      half: {
        regional: analysis('C'),
        errors: { global: { message: 'row 2 (id half), column image: not a readable image', field: 'image' } },
      },
      broken: {
        errors: {
          global: { message: 'row 3 (id broken), column image: not a readable image' },
          regional: { message: 'row 3 (id broken), column crop_image: not a readable image' },
        },
      },
    };
    setClient(
      fakeClient({
        'models.load': (p) => ({ modelId: p.modelId, provider: 'cpu', providerAttempts: [] }),
        'analysis.dual': (p) => duals[p.image.kind === 'benchItem' ? p.image.itemId : ''],
        'images.get': (p) => {
          if (p.source.kind === 'benchItem' && p.source.itemId !== 'good' && p.source.view === 'global')
            throw { code: 'invalid-image', message: 'not an image' };
          return { mime: 'image/png', bytes: png, width: 8, height: 8 };
        },
      }),
    );
    useEngineStore.setState({ loaded: {} });
    useReplayStore.setState({ benchId: 'b', modelId: 'm', current: null, failure: null, selectedId: null });
  });
  it('shows a broken item as broken, without the previous item', async () => {
    const { select } = useReplayStore.getState().actions;
    await select(item('good'));
    expect(useReplayStore.getState().current?.itemId).toBe('good');
    await select(item('broken'));
    const st = useReplayStore.getState();
    expect(st.current).toBeNull();
    expect(st.failure?.itemId).toBe('broken');
    expect(st.failure?.error.message).toContain('column crop_image');
  });
  it('runs self-zoom with the chosen input, and analyses the open item again when the input changes', async () => {
    const client = fakeClient({
      'models.load': (p) => ({ modelId: p.modelId, provider: 'cpu', providerAttempts: [] }),
      'analysis.dual': () => duals['good'],
      'images.get': () => ({ mime: 'image/png', bytes: png, width: 8, height: 8 }),
    });
    setClient(client);
    useReplayStore.setState({ analyses: NO_ANALYSES });
    const { select, setAnalyses } = useReplayStore.getState().actions;
    const open = item('zoom-input');
    await select(open);
    setAnalyses({ selfZoom: true }, [open]);
    await vi.waitFor(() => expect(client.calls.filter((c) => c.method === 'analysis.dual')).toHaveLength(2));
    setAnalyses({ selfZoomInput: 'crop+full' }, [open]);
    await vi.waitFor(() => expect(client.calls.filter((c) => c.method === 'analysis.dual')).toHaveLength(3));
    const zooms = client.calls.filter((c) => c.method === 'analysis.dual').map((c) => (c.params as { selfZoom?: unknown }).selfZoom);
    expect(zooms).toEqual([undefined, { input: 'crop' }, { input: 'crop+full' }]);
    // Back to the crop alone: the earlier result is reused, not run again.
    setAnalyses({ selfZoomInput: 'crop' }, [open]);
    await new Promise((r) => setTimeout(r, 20));
    expect(client.calls.filter((c) => c.method === 'analysis.dual')).toHaveLength(3);
  });
  it('keeps the view that ran, with the failed view’s error and image problem', async () => {
    await useReplayStore.getState().actions.select(item('half'));
    const cur = useReplayStore.getState().current!;
    expect(cur.dual.global).toBeUndefined();
    expect(cur.dual.regional?.answer).toBe('C');
    expect(cur.dual.errors?.global?.message).toContain('column image');
    expect(cur.imageErrors.global).toBe('not an image');
    expect(cur.images.regional).toBeDefined();
  });
});

describe('batch store', () => {
  const info = (over: Partial<RunInfo>): RunInfo => ({
    runId: 'r1',
    spec: { modelId: 'm', benchId: 'b', views: ['global', 'regional'], layers: [], maxNewTokens: 16, limit: 50 },
    modelName: 'loupe-tiny-r2i',
    modelHash: 'h',
    benchName: 'loupe-mini',
    done: 100,
    total: 100,
    failed: 2,
    state: 'finished',
    startedAt: '2026-11-21T14:05:00Z',
    ...over,
  });
  it('offers the finished run of an identical spec instead of starting, and starts anyway when asked (with the name)', async () => {
    const client = fakeClient({
      'batch.matching': () => [info({})],
      'batch.start': () => ({ runId: 'r2' }),
      'batch.annotate': (p) => info({ runId: p.runId, name: p.name }),
      'batch.list': () => [info({}), info({ runId: 'r2', state: 'running', done: 0 })],
      'batch.summary': () => ({}) as never,
      'batch.records': () => [],
    });
    setClient(client);
    const { start, startAnyway } = useBatchStore.getState().actions;
    await start(info({}).spec, 'seed 1');
    expect(useBatchStore.getState().offer?.runs.map((r) => r.runId)).toEqual(['r1']);
    expect(client.calls.map((c) => c.method)).toEqual(['batch.matching']);
    await startAnyway();
    expect(client.calls.map((c) => c.method)).toContain('batch.start');
    expect(client.calls.find((c) => c.method === 'batch.annotate')?.params).toEqual({ runId: 'r2', name: 'seed 1' });
    expect(useBatchStore.getState().offer).toBeNull();
  });
  it('has one progress: the latest event while running, the stored counts once finished', () => {
    const p = { done: 96, total: 360, failed: 1, itemsPerSecond: 2, etaSeconds: 132 };
    expect(runProgress(info({ state: 'running', done: 88, total: 360 }), p)).toEqual({ done: 96, total: 360, failed: 1 });
    expect(runProgress(info({}), p)).toEqual({ done: 100, total: 100, failed: 2 });
    expect(runProgress(undefined, undefined)).toBeNull();
  });
  it('names runs and their settings, and an ETA in minutes', () => {
    expect(runTitle(info({}))).toBe('loupe-tiny-r2i · loupe-mini');
    expect(runTitle(info({ name: 'baseline' }))).toBe('baseline');
    expect(settingsText(info({ spec: { ...info({}).spec, shard: { index: 1, count: 4 } } }))).toBe(
      'global + regional · all layers · 16 new tokens · first 50 items · shard 1/4',
    );
    expect(formatEta(42)).toBe('42 s');
    expect(formatEta(600)).toBe('10 min');
    expect(formatEta(3900)).toBe('1 h 05 min');
  });
});
