// Batch and Compare over the real engine: two small runs (base and R2I), cancel and resume, the
// dashboard's numbers against the engine's summary, the table's link into Replay, and the
// before/after comparison on one item and over the two runs.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BenchItemSummary, ModelInfo, RunInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { BatchPage } from './pages/BatchPage.js';
import { ComparePage } from './pages/ComparePage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { parsePct } from './pages/AppPage.js';

const LIMIT = Number(process.env.LOUPE_E2E_BATCH_LIMIT ?? 6);
let loupe: Loupe;
let s: Session;
let items: BenchItemSummary[];
let base: ModelInfo;
let r2i: ModelInfo;

beforeAll(async () => {
  loupe = await startLoupe();
  ({ items, base, r2i } = await bundled(loupe));
});
afterAll(async () => loupe?.close());
beforeEach(async () => {
  s = await openSession();
});
afterEach(async () => {
  await s?.close();
});

async function runs(): Promise<RunInfo[]> {
  return clientOf(loupe).call('batch.list', {});
}

describe('Batch', () => {
  it('runs, cancels and resumes a batch, and the dashboard shows the engine summary', async () => {
    const app = new BatchPage(s.page);
    await app.open(loupe.url);
    await app.tab('batch');
    expect(await s.page.getByTestId('empty-state').innerText()).toMatch(/Start a run/);
    await app.start(r2i.id, LIMIT);
    await app.waitState('running', 0, 60_000);
    await s.page.getByTestId('batch-cancel').click();
    await app.waitState('cancelled', 0, 60_000);
    await s.screenshot('batch-cancelled');
    await s.page.getByTestId('batch-resume').click();
    await app.waitState('finished');
    const run = (await runs()).find((r) => r.spec.modelId === r2i.id)!;
    expect(run.done).toBe(run.total);
    const summary = await clientOf(loupe).call('batch.summary', { runId: run.runId });
    await s.page.getByTestId('dashboard').waitFor();
    await s.page.getByTestId('acc-global-regional').filter({ hasText: '/' }).waitFor();
    const [g, r] = (await app.text('acc-global-regional')).split('/').map((x) => x.trim());
    // The students' answers are judged (a dash would mean none could be).
    for (const [shown, a] of [
      [g, summary.accuracy.global],
      [r, summary.accuracy.regional],
    ] as const) {
      expect(a.judged).toBeGreaterThan(0);
      expect(parsePct(shown)).toBeCloseTo(a.accuracy, 3);
    }
    expect(await app.text('zooming-gap')).toBe(`${summary.zoomingGap.toFixed(1)} pp`);
    const rows = await s.page.getByTestId('item-table').locator('tbody tr').count();
    expect(rows).toBe(Math.min(LIMIT, items.length));
    for (const id of ['chart-accuracy', 'chart-gap', 'chart-layers', 'chart-hist', 'chart-correct']) {
      expect(await s.page.getByTestId(id).locator('svg').count()).toBe(1);
    }
    await s.screenshot('batch-dashboard');
    // Exports: CSV from the engine, a chart as SVG.
    const [csv] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-csv').click()]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    const [svg] = await Promise.all([
      s.page.waitForEvent('download'),
      s.page.getByTestId('chart-layers').getByRole('button', { name: /SVG/ }).click(),
    ]);
    expect(svg.suggestedFilename()).toMatch(/\.svg$/);
    // A row opens the item in Replay with this run's judgements.
    await s.page.getByTestId('item-table').locator('tbody tr').first().click();
    const replay = new ReplayPage(s.page);
    await replay.waitItem(items[0].id);
    await s.screenshot('batch-to-replay');
    expect(s.errors).toEqual([]);
  });

  it('compares the base and R2I students on one item and over two runs', async () => {
    // The base run (the R2I run exists from the previous test).
    const { runId } = await clientOf(loupe).call('batch.start', {
      modelId: base.id,
      benchId: (await clientOf(loupe).call('bench.list', {}))[0].id,
      views: ['global', 'regional'],
      layers: [],
      maxNewTokens: 16,
      limit: LIMIT,
    });
    const deadline = Date.now() + 200_000;
    const state = async () => (await runs()).find((r) => r.runId === runId)?.state;
    while ((await state()) !== 'finished' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 1000));
    expect(await state()).toBe('finished');

    const app = new ComparePage(s.page);
    await app.open(loupe.url);
    await app.tab('compare');
    // The view opens on the bundled before/after pair.
    expect(await app.selectedModelName('a')).toContain('loupe-tiny-base');
    expect(await app.selectedModelName('b')).toContain('loupe-tiny-r2i');
    await s.page.getByTestId('compare-model-a').selectOption(base.id);
    await s.page.getByTestId('compare-model-b').selectOption(r2i.id);
    await app.runItem();
    const item = items[0];
    const c = clientOf(loupe);
    const benchId = (await c.call('bench.list', {}))[0].id;
    const req = {
      image: { kind: 'benchItem' as const, benchId, itemId: item.id, view: 'global' as const },
      question: item.question,
      box: item.bbox,
      maxNewTokens: 16,
      withGeneric: true,
    };
    const [ra, rb] = [
      await c.call('analysis.run', { ...req, modelId: base.id }),
      await c.call('analysis.run', { ...req, modelId: r2i.id }),
    ];
    expect(await app.answer('a')).toBe(ra.answer.trim() || '(empty)');
    expect(await app.answer('b')).toBe(rb.answer.trim() || '(empty)');
    expect(await s.page.getByTestId('compare-diff-overlay').count()).toBe(1);

    const all = await runs();
    const runA = all.find((r) => r.spec.modelId === base.id)!;
    const runB = all.find((r) => r.spec.modelId === r2i.id)!;
    await s.page.getByTestId('compare-run-a').selectOption(runA.runId);
    await s.page.getByTestId('compare-run-b').selectOption(runB.runId);
    await s.page.getByTestId('compare-runs').click();
    await s.page.getByTestId('compare-runs-result').waitFor({ timeout: 60_000 });
    const cmp = await c.call('compare.runs', { runA: runA.runId, runB: runB.runId });
    const d = cmp.coverageDelta.mean * 100;
    expect(await app.text('coverage-delta')).toBe(`${d >= 0 ? '+' : ''}${d.toFixed(2)} pp`);
    expect(await app.text('wilcoxon')).toContain(`n = ${cmp.wilcoxon.n}`);
    // One dot per global-view pair at the comparison layer.
    expect(await s.page.getByTestId('chart-paired').locator('circle').count()).toBe(cmp.coverageDelta.n);
    await s.screenshot('compare-item-and-runs');
    await s.page.getByTestId('compare-runs-result').scrollIntoViewIfNeeded();
    await s.screenshot('compare-runs');
    expect(s.errors).toEqual([]);
  });
});
