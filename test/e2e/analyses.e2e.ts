// Inspect's self-zoom and faithfulness panels over the real engine: the numbers shown are the engine's
// own (the crop's IoU with the key box, the answer on the crop, each layer's deletion area), the crop is
// drawn beside the key box, and the deletion curve is there.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisResult, BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { startLoupe, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled, engineAnswer } from './support/fixtures.js';
import { InspectPage } from './pages/InspectPage.js';

let loupe: Loupe;
let s: Session;
let benchId: string;
let item: BenchItemSummary;
let r2i: ModelInfo;
let direct: AnalysisResult;
let vicrop: AnalysisResult;

beforeAll(async () => {
  loupe = await startLoupe();
  const b = await bundled(loupe);
  benchId = b.benchId;
  r2i = b.r2i;
  item = b.items[0];
  direct = await engineAnswer(loupe, r2i, benchId, item, { selfZoom: {}, faithfulness: {} });
  vicrop = await engineAnswer(loupe, r2i, benchId, item, { selfZoom: { input: 'crop+full' } });
});
afterAll(async () => loupe?.close());
beforeEach(async () => {
  s = await openSession();
});
afterEach(async () => {
  await s?.close();
});

describe('Inspect: self-zoom and faithfulness', () => {
  it('shows the engine’s crop, IoU, crop answer and deletion areas', async () => {
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    await app.pickBenchItem(item.id);
    await app.chooseModel(r2i.id);
    await s.page.getByTestId('toggle-self-zoom').check();
    await s.page.getByTestId('toggle-faithfulness').check();
    await app.run();
    await s.page.getByTestId('self-zoom-panel').waitFor({ timeout: 120_000 });
    const sz = direct.selfZoom!;
    expect(await s.page.getByTestId('self-zoom-iou').innerText()).toBe(sz.iou!.toFixed(3));
    expect(await s.page.getByTestId('self-zoom-answer').innerText()).toContain(sz.answer.trim() || '(empty)');
    const crop = s.page.getByTestId('self-zoom-sketch').locator('rect.zoom-crop');
    expect(await crop.getAttribute('x')).toBe(String(sz.box[0]));
    expect(await crop.getAttribute('width')).toBe(String(sz.box[2] - sz.box[0]));
    expect(await s.page.getByTestId('self-zoom-sketch').locator('rect.key-box').count()).toBe(1);
    await s.page.getByTestId('deletion-curve').waitFor();
    const areas = await s.page.getByTestId('deletion-areas').innerText();
    const layer = String(r2i.defaultLayer);
    expect(areas).toContain(`area, layer ${layer}`);
    expect(areas).toContain(direct.faithfulness!.attention[layer].area.toFixed(3));
    expect(areas).toContain(direct.faithfulness!.random.meanArea.toFixed(3));
    await s.screenshot('inspect-analyses');
    expect(s.errors).toEqual([]);
  }, 240_000);

  it('asks the second pass with the full image and the crop when ViCrop input is chosen', async () => {
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    await app.pickBenchItem(item.id);
    await app.chooseModel(r2i.id);
    await s.page.getByTestId('toggle-self-zoom').check();
    await s.page.getByTestId('self-zoom-input').selectOption('crop+full');
    await app.run();
    await s.page.getByTestId('self-zoom-panel').waitFor({ timeout: 120_000 });
    const sz = vicrop.selfZoom!;
    expect(sz.input).toBe('crop+full');
    expect(await s.page.getByTestId('self-zoom-panel').innerText()).toContain('answer on full image + crop (ViCrop input)');
    expect(await s.page.getByTestId('self-zoom-answer').innerText()).toContain(sz.answer.trim() || '(empty)');
    await s.screenshot('inspect-vicrop');
    expect(s.errors).toEqual([]);
  }, 240_000);
});
