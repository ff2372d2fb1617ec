// A bench with malformed rows, as a researcher meets one: opening it says which rows (row, id, column,
// cause); Replay shows a broken item as broken (never with another item's images), runs a box-less item
// in both views with coverage "no box", and shows a failed view's error; a batch runs the same and the
// dashboard lists the failures.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, ROOT, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { BatchPage } from './pages/BatchPage.js';

interface Row {
  id: string;
  images: string[];
  crop_images: string[];
  query?: string;
  response: string;
  bbox?: number[];
  question_type: string;
  dimension: string;
}

let loupe: Loupe;
let s: Session;
let r2i: ModelInfo;
let benchFile: string;
let rows: Row[];

beforeAll(async () => {
  loupe = await startLoupe();
  ({ r2i } = await bundled(loupe));
  const mini = join(ROOT, 'resources/bench/loupe-mini');
  rows = (JSON.parse(readFileSync(join(mini, 'test.json'), 'utf8')) as Row[]).slice(0, 5);
  const dir = mkdtempSync(join(tmpdir(), 'loupe-malformed-e2e-'));
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'crops'));
  for (const r of rows) {
    copyFileSync(join(mini, r.images[0]), join(dir, r.images[0]));
    copyFileSync(join(mini, r.crop_images[0]), join(dir, r.crop_images[0]));
  }
  const garbage = Buffer.from('<html>404 not found</html> this is not a JPEG');
  writeFileSync(join(dir, rows[1].images[0]), garbage); // row 2: the full image is broken, its crop is fine
  delete rows[2].bbox; // row 3: no key box
  writeFileSync(join(dir, rows[3].images[0]), garbage); // row 4: both images broken
  writeFileSync(join(dir, rows[3].crop_images[0]), garbage);
  delete rows[4].query; // row 5: no question: skipped
  benchFile = join(dir, 'test.json');
  writeFileSync(benchFile, JSON.stringify(rows));
  loupe.server.registry.allowFile(benchFile);
});
afterAll(async () => loupe?.close());
beforeEach(async () => {
  s = await openSession();
});
afterEach(async () => {
  await s?.close();
});

async function openBench(app: ReplayPage): Promise<void> {
  await app.open(loupe.url);
  await app.tab('replay');
  await s.page.getByTestId('replay-model').selectOption(r2i.id);
  await s.page.getByText('Open a ZoomBench file…').click();
  await s.page.getByTestId('replay-bench-open').fill(benchFile);
  await s.page.getByTestId('replay-bench-open').press('Enter');
  await s.page.getByTestId('bench-issues').waitFor();
}

describe('a bench with malformed rows', () => {
  it('says once, on opening, which rows are wrong: row, id, column and cause', async () => {
    const app = new ReplayPage(s.page);
    await openBench(app);
    const issues = await s.page.getByTestId('bench-issue').allInnerTexts();
    expect(issues).toEqual([
      expect.stringMatching(
        new RegExp(
          `^row 2 \\(id ${rows[1].id}\\), column images: the full image .* is not an image: it starts with bytes 3c 68 74 6d.*\\(kept\\)$`,
        ),
      ),
      `row 3 (id ${rows[2].id}), column bbox: no key box: both views run, coverage is "no box" (kept)`,
      expect.stringMatching(new RegExp(`^row 4 \\(id ${rows[3].id}\\), column images: .*not an image.*\\(kept\\)$`)),
      expect.stringMatching(new RegExp(`^row 4 \\(id ${rows[3].id}\\), column crop_images: .*not an image.*\\(kept\\)$`)),
      expect.stringMatching(
        new RegExp(`^row 5 \\(id ${rows[4].id}\\), column query\\|prompt\\|question: missing or empty .*\\(skipped\\)$`),
      ),
    ]);
    expect(await app.count()).toContain('4 of 4 items');
    await s.screenshot('malformed-bench-opened');
    // Opening the same file again lists it once.
    await s.page.getByTestId('replay-bench-open').fill(benchFile);
    await s.page.getByTestId('replay-bench-open').press('Enter');
    const names = await s.page.getByTestId('replay-bench').locator('option').allInnerTexts();
    expect(names.filter((n) => n.startsWith('loupe-malformed-e2e') || n.includes('(4)'))).toHaveLength(1);
  });

  it('shows a broken item as broken, a failed view with its error, and a box-less item with coverage "no box"', async () => {
    const app = new ReplayPage(s.page);
    await openBench(app);
    // A good item first, then the item whose two images are broken: nothing of the first stays on screen.
    await app.selectItem(rows[0].id);
    await s.page.locator(`[data-testid="replay-list"] li[data-id="${rows[3].id}"]`).click();
    await s.page.getByTestId('replay-malformed').waitFor({ timeout: 120_000 });
    const text = await app.text('replay-malformed');
    expect(text).toContain(`${rows[3].id} (row 4) cannot be shown`);
    expect(text).toMatch(new RegExp(`row 4 \\(id ${rows[3].id}\\), column images: not a readable image`));
    expect(await s.page.locator('main img').count()).toBe(0);
    await s.screenshot('malformed-item');
    // The broken full image: the global view says why, the regional view runs.
    await s.page.locator(`[data-testid="replay-list"] li[data-id="${rows[1].id}"]`).click();
    await s.page.getByTestId('replay-global-error').waitFor({ timeout: 120_000 });
    expect(await app.text('replay-global-error')).toMatch(new RegExp(`row 2 \\(id ${rows[1].id}\\), column images`));
    await s.page.getByTestId('replay-regional-overlay').waitFor();
    // No key box: both views run, coverage is "no box".
    await s.page.locator(`[data-testid="replay-list"] li[data-id="${rows[2].id}"]`).click();
    await s.page.getByTestId('replay-item').filter({ hasText: rows[2].id }).waitFor({ timeout: 120_000 });
    await s.page.getByTestId('replay-global-overlay').waitFor();
    await s.page.getByTestId('replay-regional-overlay').waitFor();
    expect(await app.coverage()).toBe('coverage: no box');
    await s.screenshot('malformed-no-box');
    expect(s.errors).toEqual([]);
  });

  it('runs the same rows in a batch, lists the failures with their errors, and Replay shows them', async () => {
    const app = new BatchPage(s.page);
    await app.open(loupe.url);
    const bench = await clientOf(loupe).call('bench.open', { path: benchFile });
    await app.tab('batch');
    await s.page.getByTestId('batch-bench').selectOption(bench.id);
    await s.page.getByTestId('batch-model').selectOption(r2i.id);
    await s.page.getByTestId('batch-start').click();
    await app.waitState('finished', 0, 200_000);
    await s.page.getByTestId('failures').waitFor();
    const failures = await app.text('failures');
    expect(failures).toContain('3 failed records');
    expect(failures).toMatch(new RegExp(`${rows[1].id} global: row 2 \\(id ${rows[1].id}\\), column images: not a readable image`));
    expect(failures).toMatch(new RegExp(`${rows[3].id} regional: row 4 \\(id ${rows[3].id}\\), column crop_images`));
    expect((await app.counts('global')).failed).toBe(2);
    expect((await app.counts('regional')).failed).toBe(1);
    expect(await app.text('coverage-mean')).toBeTruthy();
    expect(await s.page.getByTestId('item-table').locator(`tr[data-item="${rows[2].id}"] td`).last().innerText()).toBe('no box');
    await s.screenshot('malformed-batch');
    // The failed item opens in Replay with the run's error beside it.
    await s.page.getByTestId('item-table').locator(`tr[data-item="${rows[1].id}"]`).click();
    await s.page.getByTestId('record-errors').waitFor({ timeout: 120_000 });
    expect(await app.text('record-errors')).toMatch(/In the run, the global view failed: row 2/);
    expect(s.errors).toEqual([]);
  });

  it('says so when no answer could be judged, instead of showing 0% and empty charts', async () => {
    // Ground truths without words: the rules can judge no answer.
    const dir = mkdtempSync(join(tmpdir(), 'loupe-unjudged-e2e-'));
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'crops'));
    const mini = join(ROOT, 'resources/bench/loupe-mini');
    const good = (JSON.parse(readFileSync(join(mini, 'test.json'), 'utf8')) as Row[])
      .slice(0, 2)
      .map((r) => ({ ...r, response: '?', question_type: 'blank' }));
    for (const r of good) {
      copyFileSync(join(mini, r.images[0]), join(dir, r.images[0]));
      copyFileSync(join(mini, r.crop_images[0]), join(dir, r.crop_images[0]));
    }
    const file = join(dir, 'test.json');
    writeFileSync(file, JSON.stringify(good));
    const c = clientOf(loupe);
    const bench = await c.call('bench.open', { path: file });
    const { runId } = await c.call('batch.start', {
      modelId: r2i.id,
      benchId: bench.id,
      views: ['global', 'regional'],
      layers: [],
      maxNewTokens: 4,
    });
    const deadline = Date.now() + 120_000;
    while ((await c.call('batch.list', {})).find((r) => r.runId === runId)?.state !== 'finished' && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 500));
    const app = new BatchPage(s.page);
    await app.open(loupe.url);
    await app.tab('batch');
    await s.page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).click();
    await s.page.getByTestId('dashboard').waitFor();
    expect(await app.text('chart-accuracy')).toMatch(/No answer could be judged/);
    expect(await app.counts('global')).toEqual({ correct: 0, wrong: 0, unjudged: 2, failed: 0 });
    expect(await app.accuracy('global')).toEqual({ all: '– of all 2 items', judged: '– of 0 judged' });
    expect(await app.text('zooming-gap')).toBe('–');
    expect(await s.page.getByTestId('chart-gap').count()).toBe(0);
    // Why each answer is unjudged, on its badge.
    expect(await s.page.getByTestId('verdict').first().getAttribute('title')).toMatch(/unjudged: the ground truth has no words/);
    await s.screenshot('batch-all-unjudged');
  });
});
