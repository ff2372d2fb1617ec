// Batch and Compare over the real engine: two small runs (base and R2I), cancel and resume, the
// dashboard's numbers against the engine's summary, the table's link into Replay, and the
// before/after comparison on one item and over the two runs.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BenchItemSummary, ModelInfo, RunInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { BatchPage } from './pages/BatchPage.js';
import { ComparePage } from './pages/ComparePage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { parsePct } from './pages/AppPage.js';
import { runPython } from '../support/python-venv.js';

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
    await s.page.getByTestId('acc-global-all').filter({ hasText: 'of all' }).waitFor();
    // Judgements counted apart, each accuracy with its denominator (over all items; over judged items).
    for (const view of ['global', 'regional'] as const) {
      const a = summary.accuracy[view];
      expect(await app.counts(view)).toEqual({ correct: a.correct, wrong: a.wrong, unjudged: a.unjudged, failed: a.failed });
      const shown = await app.accuracy(view);
      expect(shown.all).toContain(`of all ${a.items} items`);
      expect(parsePct(shown.all)).toBeCloseTo(a.accuracy, 3);
      expect(shown.judged).toContain(`of ${a.judged} judged`);
      expect(shown.judged.startsWith('–') ? 0 : parsePct(shown.judged)).toBeCloseTo(a.judged ? a.accuracyJudged : 0, 3);
    }
    // The judge's rules on hover, beside every accuracy.
    expect(await s.page.getByTestId('judge-rules').first().getAttribute('title')).toMatch(/names no option is wrong/);
    // One progress: the run list and the headline say the same.
    expect(await s.page.getByTestId('run-row').first().getByTestId('run-done').innerText()).toBe(`${run.done}/${run.total}`);
    expect(await app.text('headline-done')).toContain(`${run.done}/${run.total} records`);
    expect(await app.text('zooming-gap')).toBe(`${summary.zoomingGap.toFixed(1)} pp`);
    const rows = await s.page.getByTestId('item-table').locator('tbody tr').count();
    expect(rows).toBe(Math.min(LIMIT, items.length));
    for (const id of ['chart-accuracy', 'chart-gap', 'chart-layers', 'chart-hist', 'chart-correct']) {
      expect(await s.page.getByTestId(id).locator('svg').count()).toBe(1);
    }
    await s.screenshot('batch-dashboard');
    // Exports named by model, bench and start date: the CSV, the run as NPZ (read back with numpy), a chart
    // as SVG whose caption says what its numbers measure.
    const day = run.startedAt.slice(0, 10);
    const [csv] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-csv').click()]);
    expect(csv.suggestedFilename()).toBe(`loupe-tiny-r2i_loupe-mini_${day}_${run.runId}.records.csv`);
    const [npz] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-npz-run').click()]);
    expect(npz.suggestedFilename()).toBe(`loupe-tiny-r2i_loupe-mini_${day}_${run.runId}.npz`);
    const read = JSON.parse(
      runPython(
        `import json, sys, numpy as np
z = np.load(sys.argv[1])
print(json.dumps({"n": len(z["item_id"]), "judgement": z["judgement"].tolist(), "run": json.loads(str(z["meta"]))["runId"], "layers": z["layers"].tolist()}))`,
        [(await npz.path())!],
      ),
    ) as { n: number; judgement: string[]; run: string; layers: number[] };
    expect(read.run).toBe(run.runId);
    expect(read.n).toBe(run.total);
    expect(read.judgement.filter((j) => j === 'correct').length).toBe(summary.accuracy.global.correct + summary.accuracy.regional.correct);
    expect(read.layers).toEqual(Array.from({ length: r2i.numLayers }, (_, i) => i + 1));
    const [svg] = await Promise.all([
      s.page.waitForEvent('download'),
      s.page.getByTestId('chart-hist').getByRole('button', { name: /SVG/ }).click(),
    ]);
    expect(svg.suggestedFilename()).toMatch(new RegExp(`^loupe-tiny-r2i_loupe-mini_${day}_Coverage-histogram.*\\.svg$`));
    // The caption's lines, read back as one text.
    const svgText = readFileSync((await svg.path())!, 'utf8')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
    expect(svgText).toContain(
      `Paper coverage per item · layer ${summary.coverageCorrectVsWrong.layer} · mean of heads · prompt token · global view`,
    );
    // Name and notes, saved beside the run and shown in the run list.
    await s.page.getByTestId('batch-headline').getByText('Name and notes').click();
    await s.page.getByTestId('run-name').fill('r2i, first six');
    await s.page.getByTestId('run-notes').fill('for the e2e test');
    await s.page.getByTestId('run-notes-save').click();
    await s.page.getByTestId('run-title').filter({ hasText: 'r2i, first six' }).waitFor();
    expect((await runs()).find((r) => r.runId === run.runId)).toMatchObject({ name: 'r2i, first six', notes: 'for the e2e test' });
    // The identical spec again: the finished run is offered instead of a new one.
    await app.start(r2i.id, LIMIT);
    await s.page.getByTestId('same-spec').waitFor();
    expect(await s.page.getByTestId('same-spec').innerText()).toContain('r2i, first six');
    await s.screenshot('batch-same-spec');
    await s.page.getByTestId('same-spec-open').click();
    await s.page.getByTestId('same-spec').waitFor({ state: 'detached' });
    expect((await runs()).filter((r) => r.spec.modelId === r2i.id)).toHaveLength(1);
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
    expect(await app.text('most-changed-label')).toContain(`layer ${cmp.layer} · mean of heads · prompt token · global view`);
    // Opening a most-changed item shows the strip with the runs' measurement: the same numbers.
    const top = cmp.mostChanged[0];
    await s.page.getByTestId('most-changed').locator('tbody tr').first().click();
    await s.page
      .getByTestId('compare-b-coverage')
      .filter({ hasText: `layer ${cmp.layer} · mean of ${r2i.numHeads} heads · prompt token` })
      .waitFor({ timeout: 120_000 });
    await s.page.getByTestId('compare-subject').filter({ hasText: top.itemId }).waitFor();
    await s.page.getByTestId('compare-b-answer').filter({ hasText: 'Answer' }).waitFor({ timeout: 120_000 });
    expect(parsePct(await app.text('compare-a-coverage'))).toBeCloseTo(top.coverageA, 3);
    expect(parsePct(await app.text('compare-b-coverage'))).toBeCloseTo(top.coverageB, 3);
    await s.screenshot('compare-item-and-runs');
    // The strip folds away and gives the run comparison the screen.
    await s.page.getByTestId('compare-strip').locator('summary').click();
    await s.page.getByTestId('compare-a').waitFor({ state: 'detached' });
    await s.screenshot('compare-strip-folded');
    await s.page.getByTestId('compare-runs-result').scrollIntoViewIfNeeded();
    await s.screenshot('compare-runs');
    expect(s.errors).toEqual([]);
  });
});
