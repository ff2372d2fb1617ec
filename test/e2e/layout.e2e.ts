// The app at the two screen sizes researchers use: readable at 1280x800 (Replay keeps eight items in
// view, the Compare strip folds away) and filling a 2560x1440 screen (panels, dashboard cards and head
// thumbnails grow). Screenshots of every view at both sizes land in test-results/e2e.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { InspectPage } from './pages/InspectPage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { BatchPage } from './pages/BatchPage.js';
import { ComparePage } from './pages/ComparePage.js';

let loupe: Loupe;
let items: BenchItemSummary[];
let r2i: ModelInfo;
let base: ModelInfo;
let benchId: string;

beforeAll(async () => {
  loupe = await startLoupe();
  ({ items, r2i, base, benchId } = await bundled(loupe));
  // Two small finished runs, so Batch and Compare have something to show.
  const c = clientOf(loupe);
  for (const m of [base, r2i]) {
    const { runId } = await c.call('batch.start', {
      modelId: m.id,
      benchId,
      views: ['global', 'regional'],
      layers: [],
      maxNewTokens: 8,
      limit: 6,
    });
    const deadline = Date.now() + 200_000;
    while ((await c.call('batch.list', {})).find((r) => r.runId === runId)?.state !== 'finished' && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 500));
  }
});
afterAll(async () => loupe?.close());

async function everyView(s: Session, size: string): Promise<void> {
  const inspect = new InspectPage(s.page);
  await inspect.open(loupe.url);
  await inspect.pickBenchItem(items[1].id);
  await inspect.chooseModel(r2i.id);
  await inspect.run();
  await s.screenshot(`layout-inspect-${size}`);
  const replay = new ReplayPage(s.page);
  await replay.tab('replay');
  await s.page.getByTestId('replay-model').selectOption(r2i.id);
  await replay.selectItem(items[1].id);
  await s.screenshot(`layout-replay-${size}`);
  const batch = new BatchPage(s.page);
  await batch.tab('batch');
  await s.page.getByTestId('run-row').first().click();
  await s.page.getByTestId('chart-hist').locator('svg').waitFor();
  await s.screenshot(`layout-batch-${size}`);
  const compare = new ComparePage(s.page);
  await compare.tab('compare');
  await compare.runItem();
  await s.screenshot(`layout-compare-${size}`);
}

describe('layout', () => {
  it('is readable at 1280x800', async () => {
    const s = await openSession({ width: 1280, height: 800 });
    try {
      await everyView(s, '1280x800');
      // Compare: the strip leaves room for the run comparison, and folds to a line.
      const strip = (await s.page.getByTestId('compare-strip').boundingBox())!;
      expect(strip.height).toBeLessThan(480);
      await s.page.getByTestId('compare-strip').locator('summary').click();
      await s.page.getByTestId('compare-a').waitFor({ state: 'detached' });
      expect((await s.page.getByTestId('compare-strip').boundingBox())!.height).toBeLessThan(40);
      await s.screenshot('layout-compare-folded-1280x800');
      // Replay keeps at least eight items in view.
      const replay = new ReplayPage(s.page);
      await replay.tab('replay');
      await replay.waitItem(items[1].id);
      expect(await replay.fullyVisibleItems()).toBeGreaterThanOrEqual(8);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('fills a 2560x1440 screen', async () => {
    const s = await openSession({ width: 2560, height: 1440 });
    try {
      await everyView(s, '2560x1440');
      // Batch: the dashboard's cards grow with the screen.
      await s.page.getByTestId('tab-batch').click();
      const card = (await s.page.getByTestId('chart-hist').boundingBox())!;
      expect(card.width).toBeGreaterThan(550);
      const chart = (await s.page.getByTestId('chart-hist').locator('svg').boundingBox())!;
      expect(chart.height).toBeGreaterThan(230);
      // Inspect: a large heatmap and head thumbnails that scale.
      await s.page.getByTestId('tab-inspect').click();
      const frame = (await s.page.getByTestId('inspect-canvas').boundingBox())!;
      expect(frame.width).toBeGreaterThan(1300);
      const thumb = (await s.page.getByTestId('head-0').locator('canvas').boundingBox())!;
      expect(thumb.width).toBeGreaterThan(70);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
