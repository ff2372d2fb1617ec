// Replay over the real engine: both views' answers as the engine gives them, keyboard stepping,
// filters, and the regional attention mapped back onto the full image.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { ReplayPage } from './pages/ReplayPage.js';

let loupe: Loupe;
let s: Session;
let benchId: string;
let items: BenchItemSummary[];
let r2i: ModelInfo;

beforeAll(async () => {
  loupe = await startLoupe();
  ({ benchId, items, r2i } = await bundled(loupe));
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
    const shown = await app.answers();
    expect(shown.truth).toBe(item.answer);
    expect(shown.global).toBe(dual.global.answer.trim() || '(empty)');
    expect(shown.regional).toBe(dual.regional.answer.trim() || '(empty)');
    // The mapped-back regional map is drawn, and is zero (transparent) outside the crop.
    const px = await s.page.getByTestId('replay-infull-overlay').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
    });
    expect(px.length).toBe(dual.regionalInFull.gridH * dual.regionalInFull.gridW * 4);
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
    const dim = items[0].dimension;
    expect(dim).toBeTruthy();
    await s.page.getByTestId('filter-dimension').selectOption(dim!);
    const n = items.filter((i) => i.dimension === dim).length;
    expect(n).toBeLessThan(items.length);
    expect(await app.count()).toContain(`${n} of ${items.length}`);
    const ids = await s.page.locator('[data-testid="replay-list"] li').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(ids).toEqual(items.filter((i) => i.dimension === dim).map((i) => i.id));
    await s.screenshot('replay-filtered');
    expect(s.errors).toEqual([]);
  });
});
