// Inspect view over the real engine: answers from the bundled students, the engine's own numbers,
// overlay pixels that follow the layer slider, a box that moves live, exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { layerMetrics } from '../../electron/engine/metrics/index.js';
import type { AnalysisResult, Box, BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, ROOT, type Loupe } from './support/loupe.js';
import { runPython } from '../support/python-venv.js';
import { openSession, type Session } from './support/browser.js';
import { bundled, engineAnswer } from './support/fixtures.js';
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
  direct = await engineAnswer(loupe, r2i, benchId, item);
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
    // Every number says what it measures: box, layer, heads, token.
    expect(await app.metricsLabel()).toContain(`layer ${r2i.defaultLayer} · mean of ${r2i.numHeads} heads · prompt token`);
    expect(await app.metricsLabel()).toContain(`[${(item.bbox as Box).map((v) => Math.round(v)).join(', ')}]`);
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
    // Only the cells at or above the scale's top (its 99th percentile: about 1% of the cells) stay.
    const hidden = await app.overlayPixels();
    const cells = direct.geometry.gridW * direct.geometry.gridH;
    expect(hidden.filter((v, i) => i % 4 === 3 && v > 0).length).toBeLessThanOrEqual(Math.ceil(cells * 0.01) + 1);
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

  it('checks a typed box on Enter: no silent swap, no silent clamp, and stale numbers say so', async () => {
    const app = await analysed();
    const W = direct.geometry.imageWidth;
    const applied = await app.boxNumbers();
    const c0 = await app.metric('coverage-paper');
    // Inverted corners typed one field at a time: leaving a field changes nothing.
    await app.fillBox([500, 20, 300, 400]);
    await s.page.getByTestId('box-y1').focus();
    expect(await app.boxNumbers()).toEqual([500, 20, 300, 400]);
    expect(await s.page.getByTestId('box-pending').innerText()).toMatch(/Not applied/);
    expect(await s.page.getByTestId('metrics').innerText()).toMatch(/not applied/);
    await s.page.getByTestId('box-y2').press('Enter');
    expect(await app.text('box-error')).toMatch(/x2 \(300\) must be greater than x1 \(500\)/);
    expect(await app.metric('coverage-paper')).toBeCloseTo(c0, 6);
    // Past the image's edge: refused with the limit, not clamped.
    await app.typeBox([10, 20, W + 80, 400]);
    expect(await app.text('box-error')).toContain(`x2 = ${W + 80} is outside the image (0–${W} px wide)`);
    expect(await app.boxNumbers()).toEqual([10, 20, W + 80, 400]);
    // A field that is not a number.
    await app.typeBox([10, 20, Number.NaN, 400]);
    expect(await app.text('box-error')).toMatch(/x2 "NaN" is not a number/);
    expect(await s.page.getByTestId('key-box').getAttribute('x')).toBe(String(applied[0]));
    await s.screenshot('inspect-box-refused');
  });

  it('says what is wrong with an image file when it is opened', async () => {
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    await app.openImageFile('empty.png', 'image/png', Buffer.alloc(0));
    await s.page.getByTestId('error').filter({ hasText: 'empty.png' }).waitFor();
    expect(await app.text('error')).toMatch(/empty\.png is empty \(0 bytes\)/);
    // A JPEG cut in half opens in a browser but not in the engine: refused at open, not at Run.
    const jpeg = readFileSync(join(ROOT, 'resources/bench/loupe-mini/images', `${item.id}.jpg`));
    await app.openImageFile('half.jpg', 'image/jpeg', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await s.page.getByTestId('error').filter({ hasText: 'half.jpg' }).waitFor();
    expect(await app.text('error')).toMatch(/half\.jpg/);
    expect(await app.text('error')).not.toMatch(/question, box, model/);
    expect(await s.page.getByTestId('image-name').count()).toBe(0);
    await s.screenshot('inspect-bad-image');
  });

  it('switches the preprocessing protocol: the picture’s frame, the warning and every label follow it', async () => {
    // A 240x160 JPEG stored with EXIF orientation 6 (shown rotated 90 degrees clockwise): hf applies the
    // rotation as transformers' load_image does, paper keeps the stored frame as the paper's scripts do.
    const jpeg = await sharp({ create: { width: 240, height: 160, channels: 3, background: { r: 30, g: 120, b: 200 } } })
      .composite([{ input: { create: { width: 60, height: 40, channels: 3, background: { r: 250, g: 220, b: 0 } } }, left: 10, top: 10 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    await app.chooseModel(r2i.id);
    // The student's loupe.json names hf.
    await expect.poll(() => s.page.getByTestId('protocol').inputValue()).toBe('hf');
    await app.openImageFile('rotated.jpg', 'image/jpeg', jpeg);
    await s.page.getByTestId('image-name').filter({ hasText: '160×240 px (hf protocol frame)' }).waitFor();
    await s.page.getByTestId('question').fill('What colour is the small rectangle?');
    await app.run();
    await s.page.getByTestId('selection-label').filter({ hasText: 'hf protocol' }).waitFor();
    await s.page.getByTestId('protocol').selectOption('paper');
    await s.page.getByTestId('image-name').filter({ hasText: '240×160 px (paper protocol frame)' }).waitFor();
    expect(await s.page.getByTestId('image-warning').allInnerTexts()).toEqual([expect.stringMatching(/EXIF orientation 6/)]);
    await app.run();
    await s.page.getByTestId('selection-label').filter({ hasText: 'paper protocol' }).waitFor();
    expect(await s.page.getByTestId('selection-label').innerText()).toMatch(/paper protocol$/);
    await s.screenshot('inspect-protocol-paper');
    expect(s.errors).toEqual([]);
  });

  it('reads a cell under the pointer, and shows every layer and head in the model view', async () => {
    const app = await analysed();
    const readout = await app.hoverReadout();
    expect(readout).toMatch(/attention weight/);
    expect(readout).toMatch(/rank \d+ of \d+ · row \d+, col \d+/);
    expect(readout).toMatch(/pixels \[\d+, \d+, \d+, \d+\]/);
    expect(await app.text('colorbar')).toMatch(/99th percentile of layer \d/);
    // Per-head coverage on the thumbnails.
    expect(await app.text('head-cov-0')).toMatch(/%$/);
    await s.page.getByTestId('model-view-toggle').click();
    await s.page.getByTestId('model-view-canvas').waitFor();
    expect(await app.text('model-view-status')).toMatch(/highest coverage: layer \d+, head h\d+/);
    await s.screenshot('inspect-model-view');
    // A click on a tile (the last layer, head h1) selects it and returns to the heatmap.
    const c = (await s.page.getByTestId('model-view-canvas').boundingBox())!;
    const tileW = (c.width - 34) / (r2i.numHeads + 1);
    const tileH = (c.height - 16) / r2i.numLayers;
    await s.page.mouse.click(c.x + 34 + tileW * 2.5, c.y + 16 + tileH * (r2i.numLayers - 0.5));
    await s.page.getByTestId('inspect-canvas').waitFor();
    expect(await app.layer()).toBe(r2i.numLayers);
    expect(await app.metricsLabelWith(`head h1 of ${r2i.numHeads}`)).toContain(`layer ${r2i.numLayers} · head h1 of ${r2i.numHeads}`);
    expect(s.errors).toEqual([]);
  });

  it('exports the overlay as PNG and the numbers as JSON', async () => {
    const app = await analysed();
    const [png] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-png').click()]);
    // Named by model, image and date, then what it shows.
    const today = new Date().toISOString().slice(0, 10);
    expect(png.suggestedFilename()).toMatch(
      new RegExp(`^loupe-tiny-r2i_${item.id}_${today}_layer-${r2i.defaultLayer}_mean-of-${r2i.numHeads}-heads_prompt-token\\.png$`),
    );
    const pngBytes = readFileSync((await png.path())!);
    expect(pngBytes.subarray(1, 4).toString()).toBe('PNG');
    // PNG IHDR: the image at (at least 800 px) width, and a footer under it with the colour bar and caption.
    const W = direct.geometry.imageWidth;
    const scale = Math.max(1, 800 / W);
    expect(pngBytes.readUInt32BE(16)).toBe(Math.round(W * scale));
    expect(pngBytes.readUInt32BE(20)).toBeGreaterThan(Math.round(direct.geometry.imageHeight * scale) + 40);
    const [json] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-json').click()]);
    const data = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(data.answer).toBe(direct.answer);
    // The student's loupe.json names the hf protocol (docs/preprocessing.md), and the label says so.
    expect(data.selection.label).toBe(`layer ${r2i.defaultLayer} · mean of ${r2i.numHeads} heads · prompt token · hf protocol`);
    expect(data.metricsByLayer).toHaveLength(direct.attention.numLayers);
    expect(data.grid.values).toHaveLength(direct.geometry.gridH * direct.geometry.gridW);
    expect(await app.metric('coverage-paper')).toBeCloseTo(data.metricsByLayer[r2i.defaultLayer - 1].coveragePaper, 4);
    // All attention as NumPy arrays: numpy (the project's venv) reads exactly the engine's maps.
    const [npz] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('export-npz').click()]);
    const out = JSON.parse(
      runPython(
        `import json, sys, numpy as np
z = np.load(sys.argv[1])
a = z["attention"]
print(json.dumps({"shape": list(a.shape), "sum": float(a.astype(np.float64).sum()), "answer": json.loads(str(z["meta"]))["answer"]}))`,
        [(await npz.path())!],
      ),
    ) as { shape: number[]; sum: number; answer: string };
    const at = direct.attention;
    expect(out.shape).toEqual([at.numQueries, at.numLayers, at.numHeads, at.gridH, at.gridW]);
    expect(out.sum).toBeCloseTo(
      at.data.reduce((x, y) => x + y, 0),
      3,
    );
    expect(out.answer).toBe(direct.answer);
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
    expect(await app.metricsLabelWith(`head h0 of ${r2i.numHeads}`)).toContain(`head h0 of ${r2i.numHeads}`);
    await s.screenshot('inspect-light-head0');
    expect(s.errors).toEqual([]);
  });
});
