// Inspect view over the real engine: answers from the bundled students, the engine's own numbers,
// overlay pixels that follow the layer slider, a box that moves live, exports.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { layerMetrics } from '../../electron/engine/metrics/index.js';
import type { AnalysisResult, Box, BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, clientOf, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled } from './support/fixtures.js';
import { InspectPage } from './pages/InspectPage.js';

let loupe: Loupe;
let s: Session;
let benchId: string;
let item: BenchItemSummary;
let r2i: ModelInfo;
let direct: AnalysisResult;

beforeAll(async () => {
  loupe = await startLoupe();
  const b = await bundled(loupe);
  benchId = b.benchId;
  r2i = b.r2i;
  item = b.items[0];
  // What the engine itself answers: the UI must show exactly this.
  direct = await clientOf(loupe).call('analysis.run', {
    modelId: r2i.id,
    image: { kind: 'benchItem', benchId, itemId: item.id, view: 'global' },
    question: item.question,
    box: item.bbox,
    maxNewTokens: 16,
    withGeneric: true,
  });
});
afterAll(async () => loupe?.close());
beforeEach(async () => {
  s = await openSession();
});
afterEach(async () => {
  await s?.close();
});

async function analysed(): Promise<InspectPage> {
  const app = new InspectPage(s.page);
  await app.open(loupe.url);
  await app.pickBenchItem(item.id);
  await app.chooseModel(r2i.id);
  await app.run();
  return app;
}

describe('Inspect', () => {
  it('shows an empty state that says what to do', async () => {
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    expect(await s.page.getByTestId('empty-state').innerText()).toMatch(/Open an image/);
    await expect(s.page.getByTestId('run').isDisabled()).resolves.toBe(true);
    await s.screenshot('inspect-empty');
    expect(s.errors).toEqual([]);
  });

  it('answers a bench item with the R2I student and shows the engine numbers at the default layer', async () => {
    const app = await analysed();
    expect(await app.answer()).toBe(direct.answer.trim() || '(empty)');
    expect(await app.layer()).toBe(r2i.defaultLayer);
    expect(await s.page.getByTestId('ground-truth').innerText()).toContain(item.answer);
    const want = layerMetrics(
      { attention: direct.attention, geometry: direct.geometry, box: item.bbox as Box, genericAttention: direct.genericAttention },
      r2i.defaultLayer,
    );
    expect(await app.metric('coverage-paper')).toBeCloseTo(want.coveragePaper, 4);
    expect(await app.metric('coverage-area')).toBeCloseTo(want.coverageArea, 4);
    expect(await app.text('pointing')).toBe(want.pointing ? 'hit' : 'miss');
    // The answer's tokens are listed with their probabilities.
    const tokens = await s.page.locator('.tokens .token').allInnerTexts();
    expect(tokens.length).toBe(direct.tokens.length + 1);
    await s.screenshot('inspect-analysed');
    expect(s.errors).toEqual([]);
  });

  it('repaints the overlay when the layer slider moves, and the metrics follow', async () => {
    const app = await analysed();
    const before = await app.overlayPixels();
    expect(before.some((v, i) => i % 4 === 3 && v > 0)).toBe(true);
    const other = r2i.defaultLayer === 1 ? 2 : 1;
    await app.setLayer(other);
    const after = await app.overlayPixels();
    expect(after).not.toEqual(before);
    const want = layerMetrics({ attention: direct.attention, geometry: direct.geometry, box: item.bbox as Box }, other);
    expect(await app.metric('coverage-paper')).toBeCloseTo(want.coveragePaper, 4);
    await s.screenshot(`inspect-layer-${other}`);
    // Cells view and another colormap change the pixels too; a full threshold hides every cell.
    await s.page.getByTestId('colormap').selectOption('viridis');
    expect(await app.overlayPixels()).not.toEqual(after);
    await s.page.getByTestId('threshold').fill('1');
    const hidden = await app.overlayPixels();
    expect(hidden.filter((v, i) => i % 4 === 3 && v > 0).length).toBeLessThanOrEqual(1);
  });

  it('updates coverage live while the box moves, and takes typed numbers', async () => {
    const app = await analysed();
    const c0 = await app.metric('coverage-paper');
    const b0 = await app.boxNumbers();
    expect(b0).toEqual(item.bbox);
    await app.nudgeBox('ArrowLeft', 30);
    const b1 = await app.boxNumbers();
    expect(b1[0]).toBe(Math.max(0, b0[0] - 300));
    const moved: Box = b1 as Box;
    const want = layerMetrics({ attention: direct.attention, geometry: direct.geometry, box: moved }, r2i.defaultLayer);
    expect(await app.metric('coverage-paper')).toBeCloseTo(want.coveragePaper, 4);
    expect(await app.metric('coverage-paper')).not.toBeCloseTo(c0, 4);
    await s.screenshot('inspect-box-moved');
    // The whole image as the box: coverage is 100% in both modes.
    await app.typeBox([0, 0, direct.geometry.imageWidth, direct.geometry.imageHeight]);
    expect(await app.metric('coverage-paper')).toBeCloseTo(1, 4);
    expect(await app.metric('coverage-area')).toBeCloseTo(1, 4);
  });

  it('exports the overlay as PNG and the numbers as JSON', async () => {
    const app = await analysed();
    const [png] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-png').click()]);
    const pngBytes = readFileSync((await png.path())!);
    expect(pngBytes.subarray(1, 4).toString()).toBe('PNG');
    // PNG IHDR: width and height at bytes 16..24 = the original image size.
    expect(pngBytes.readUInt32BE(16)).toBe(direct.geometry.imageWidth);
    expect(pngBytes.readUInt32BE(20)).toBe(direct.geometry.imageHeight);
    const [json] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-json').click()]);
    const data = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(data.answer).toBe(direct.answer);
    expect(data.metricsByLayer).toHaveLength(direct.attention.numLayers);
    expect(data.grid.values).toHaveLength(direct.geometry.gridH * direct.geometry.gridW);
    expect(await app.metric('coverage-paper')).toBeCloseTo(data.metricsByLayer[r2i.defaultLayer - 1].coveragePaper, 4);
  });

  it('explains what is wrong when a folder is not a model', async () => {
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    await s.page.getByText('Open a model folder…').click();
    await s.page.getByTestId('open-model-path').fill('/nonexistent/loupe-model');
    await s.page.getByTestId('open-model-path').press('Enter');
    const banner = s.page.getByTestId('error');
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toMatch(/loupe-model|not|missing|refused/i);
    await s.screenshot('inspect-bad-model-folder');
  });

  it('is readable in the light theme too', async () => {
    const app = await analysed();
    await app.toggleTheme();
    expect(await app.theme()).toBe('light');
    await s.page.getByTestId('head-0').click();
    await s.screenshot('inspect-light-head0');
    expect(s.errors).toEqual([]);
  });
});
