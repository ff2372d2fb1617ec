// Replay over the real engine: both views' answers as the engine gives them, keyboard stepping,
// filters, and the regional attention mapped back onto the full image.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { InspectPage } from './pages/InspectPage.js';
import { parsePct } from './pages/AppPage.js';
import { layerMetrics } from '../../electron/engine/metrics/index.js';

let loupe: Loupe;
let s: Session;
let benchId: string;
let items: BenchItemSummary[];
let r2i: ModelInfo;
let base: ModelInfo;

beforeAll(async () => {
  loupe = await startLoupe();
  ({ benchId, items, r2i, base } = await bundled(loupe));
});
afterAll(async () => loupe?.close());
beforeEach(async () => {
  s = await openSession();
});
afterEach(async () => {
  await s?.close();
});

describe('Replay', () => {
  it('shows an item in both views with the answers the engine gives', async () => {
    const app = new ReplayPage(s.page);
    await app.open(loupe.url);
    await app.tab('replay');
    await s.page.getByTestId('replay-model').selectOption(r2i.id);
    expect(await app.count()).toContain(`${items.length} of ${items.length}`);
    const item = items[1];
    await app.selectItem(item.id);
    const dual = await clientOf(loupe).call('analysis.dual', {
      modelId: r2i.id,
      image: { kind: 'benchItem', benchId, itemId: item.id, view: 'global' },
      cropImage: item.hasCrop ? { kind: 'benchItem', benchId, itemId: item.id, view: 'regional' } : undefined,
      question: item.question,
      box: item.bbox,
      maxNewTokens: 16,
      withGeneric: true,
    });
    expect(dual.errors).toBeUndefined();
    const shown = await app.answers();
    expect(shown.truth).toBe(item.answer);
    expect(shown.global).toBe(dual.global!.answer.trim() || '(empty)');
    expect(shown.regional).toBe(dual.regional!.answer.trim() || '(empty)');
    // The mapped-back regional map is drawn, and is zero (transparent) outside the crop.
    const px = await s.page.getByTestId('replay-infull-overlay').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
    });
    expect(px.length).toBe(dual.regionalInFull!.gridH * dual.regionalInFull!.gridW * 4);
    await s.screenshot('replay-item');
    expect(s.errors).toEqual([]);
  });

  it('steps through items with the keyboard and filters by dimension', async () => {
    const app = new ReplayPage(s.page);
    await app.open(loupe.url);
    await app.tab('replay');
    await s.page.getByTestId('replay-model').selectOption(r2i.id);
    await app.selectItem(items[0].id);
    await app.step('j');
    await app.waitItem(items[1].id);
    expect(await app.selectedId()).toBe(items[1].id);
    await app.step('ArrowDown');
    await app.waitItem(items[2].id);
    await app.step('k');
    await app.waitItem(items[1].id);
    // The mini bench names each item's dimension (ZoomBench's six).
    const dim = items[0].dimension!;
    expect(dim).toBeTruthy();
    await s.page.getByTestId('filters').locator('summary').click();
    await s.page.getByTestId('filter-dimension').selectOption(dim);
    const n = items.filter((i) => i.dimension === dim).length;
    expect(n).toBeLessThan(items.length);
    expect(await app.count()).toContain(`${n} of ${items.length}`);
    const ids = await s.page.locator('[data-testid="replay-list"] li').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(ids).toEqual(items.filter((i) => i.dimension === dim).map((i) => i.id));
    await s.screenshot('replay-filtered');
    // A search that matches nothing offers to clear the filters.
    await s.page.getByTestId('filter-search').fill('no such item anywhere');
    await s.page.getByTestId('no-match').waitFor();
    await s.page.getByTestId('clear-filters-empty').click();
    expect(await app.count()).toContain(`${items.length} of ${items.length}`);
    expect(await s.page.getByTestId('filter-search').inputValue()).toBe('');
    expect(s.errors).toEqual([]);
  });

  it('keeps at least eight items in view at 1280x800 and scrolls the list to the opened item', async () => {
    const app = new ReplayPage(s.page);
    await app.open(loupe.url);
    await app.tab('replay');
    await s.page.getByTestId('replay-model').selectOption(r2i.id);
    await s.page.getByTestId('replay-list').locator('li').first().waitFor();
    expect(await app.fullyVisibleItems()).toBeGreaterThanOrEqual(8);
    await app.selectItem(items[0].id);
    await app.step('End');
    const last = items[items.length - 1].id;
    await app.waitItem(last);
    expect(await app.isItemInView(last)).toBe(true);
    // Zoom in, then the fit button resets the view.
    const canvas = s.page.getByTestId('replay-global');
    await canvas.hover();
    await s.page.mouse.wheel(0, -400);
    await s.page.getByTestId('replay-global-fit').click();
    expect(await s.page.getByTestId('replay-global-fit').count()).toBe(0);
    await s.screenshot('replay-last-item-1280');
  });

  it('measures with its own selection: a head chosen in Inspect does not change Replay coverage', async () => {
    const app = new ReplayPage(s.page);
    await app.open(loupe.url);
    await app.tab('replay');
    await s.page.getByTestId('replay-model').selectOption(r2i.id);
    await app.selectItem(items[0].id);
    const before = await app.coverage();
    expect(before).toMatch(new RegExp(`^coverage [\\d.]+% · layer ${r2i.defaultLayer} · mean of ${r2i.numHeads} heads · prompt token`));
    // Inspect: another head and another token.
    const inspect = new InspectPage(s.page);
    await inspect.tab('inspect');
    await inspect.pickBenchItem(items[0].id);
    await inspect.chooseModel(r2i.id);
    await inspect.run();
    await inspect.chooseHead(2);
    await s.page.getByTestId('metrics-label').filter({ hasText: 'head h2' }).waitFor();
    await app.tab('replay');
    await app.waitItem(items[0].id);
    expect(await app.coverage()).toBe(before);
    // Replay's own head control does change it, and says so.
    await app.chooseHead(2);
    await s.page.getByTestId('replay-coverage').filter({ hasText: 'head h2' }).waitFor();
    const h2 = await app.coverage();
    expect(h2).toContain(`head h2 of ${r2i.numHeads}`);
    const dual = await clientOf(loupe).call('analysis.dual', {
      modelId: r2i.id,
      image: { kind: 'benchItem', benchId, itemId: items[0].id, view: 'global' },
      question: items[0].question,
      maxNewTokens: 16,
      withGeneric: true,
    });
    const want = layerMetrics(
      { attention: dual.global!.attention, geometry: dual.global!.geometry, box: items[0].bbox!, head: { head: 2 } },
      r2i.defaultLayer,
    );
    expect(parsePct(h2)).toBeCloseTo(want.coveragePaper, 3);
    expect(s.errors).toEqual([]);
  });

  it('warns when the judgements come from another model than the one analysed', async () => {
    const c = clientOf(loupe);
    const { runId } = await c.call('batch.start', { modelId: base.id, benchId, views: ['global'], layers: [], maxNewTokens: 4, limit: 2 });
    const deadline = Date.now() + 120_000;
    while ((await c.call('batch.list', {})).find((r) => r.runId === runId)?.state !== 'finished' && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 500));
    const app = new ReplayPage(s.page);
    await app.open(loupe.url);
    await app.tab('replay');
    await s.page.getByTestId('replay-model').selectOption(r2i.id);
    await s.page.getByTestId('replay-run').selectOption(runId);
    await app.selectItem(items[0].id);
    expect(await app.text('model-mismatch')).toMatch(/judgements come from run .* of loupe-tiny-base|of .*; the analysis shown is/);
    await s.screenshot('replay-model-mismatch');
    await s.page.getByTestId('use-run-model').click();
    await app.waitItem(items[0].id);
    expect(await s.page.getByTestId('replay-model').inputValue()).toBe(base.id);
    expect(await s.page.getByTestId('model-mismatch').count()).toBe(0);
    expect(s.errors).toEqual([]);
  });
});
