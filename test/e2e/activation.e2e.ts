// Activation maps as a map kind in Inspect, over the real engine on a bundled student given the decoder's
// hidden states and its unembedding graph (`loupe tap --hidden-states` on a copy of loupe-tiny-r2i): the
// Map select switches the overlay from attention to the answer token's activation map, the box metrics
// become that map's and the rank correlation shown is the engine's, for the first and a later token; Replay
// shows the same for a bench item's global view.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisResult, BenchItemSummary, ModelInfo } from '../../electron/contract/types.js';
import { runTap } from '../../electron/tap/index.js';
import { clientOf, ROOT, startLoupe, type Loupe } from './support/loupe.js';
import { openSession, type Session } from './support/browser.js';
import { bundled, engineAnswer } from './support/fixtures.js';
import { InspectPage } from './pages/InspectPage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { parsePct } from './pages/AppPage.js';

let loupe: Loupe;
let s: Session;
let benchId: string;
let item: BenchItemSummary;
let model: ModelInfo;
let direct: AnalysisResult;
const tmp = mkdtempSync(join(tmpdir(), 'loupe-e2e-activation-'));

beforeAll(async () => {
  const dir = join(tmp, 'loupe-tiny-r2i');
  cpSync(join(ROOT, 'resources/models/loupe-tiny-r2i'), dir, { recursive: true });
  expect(await runTap([dir, '--hidden-states'], { stdout: () => {}, stderr: () => {} })).toBe(0);
  loupe = await startLoupe();
  const b = await bundled(loupe);
  benchId = b.benchId;
  item = b.items[0];
  model = await clientOf(loupe).call('models.open', { dir });
  direct = await engineAnswer(loupe, model, benchId, item, { activation: {} });
});
afterAll(async () => {
  await loupe?.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  s = await openSession();
});
afterEach(async () => {
  await s?.close();
});

describe('Inspect: activation maps beside attention', () => {
  it('switches the map kind and shows the engine’s activation metrics and rank correlation', async () => {
    const act = direct.activation!;
    expect(act.tokens.length).toBeGreaterThan(0);
    const app = new InspectPage(s.page);
    await app.open(loupe.url);
    await app.pickBenchItem(item.id);
    await app.chooseModel(model.id);
    await s.page.getByTestId('toggle-activation').check();
    await app.run();
    const attentionCoverage = await app.metric('coverage-paper');
    const attentionPixels = await app.overlayPixels();

    await app.mapKind('activation');
    const first = act.tokens[0];
    expect(await app.text('activation-spearman')).toBe(first.spearman === null ? 'n/a (a constant map)' : first.spearman.toFixed(3));
    expect(await app.text('metrics-label')).toContain('activation of answer token 1');
    // The box metrics are the activation map's (the engine's numbers), not attention's.
    expect(Math.abs((await app.metric('coverage-paper')) - first.metrics!.coveragePaper)).toBeLessThan(0.0001);
    if (Math.abs(first.metrics!.coveragePaper - attentionCoverage) > 0.001)
      expect(await app.metric('coverage-paper')).not.toBeCloseTo(attentionCoverage, 3);
    expect(await app.overlayPixels()).not.toEqual(attentionPixels);
    // The layer and head controls do not apply to activation maps.
    expect(await s.page.getByTestId('layer-slider').isDisabled()).toBe(true);
    await s.screenshot('inspect-activation');

    if (act.tokens.length > 1) {
      await app.activationToken(1);
      const t = act.tokens[1];
      expect(await app.text('activation-spearman')).toBe(t.spearman === null ? 'n/a (a constant map)' : t.spearman.toFixed(3));
      expect(Math.abs((await app.metric('coverage-paper')) - t.metrics!.coveragePaper)).toBeLessThan(0.0001);
    }
    await app.mapKind('attention');
    expect(await app.metric('coverage-paper')).toBeCloseTo(attentionCoverage, 6);
    expect(s.errors).toEqual([]);
  }, 240_000);

  it('Replay shows the global view’s activation map with its metrics and rank correlation', async () => {
    const first = direct.activation!.tokens[0];
    const app = new ReplayPage(s.page);
    await app.open(loupe.url);
    await app.tab('replay');
    await s.page.getByTestId('replay-model').selectOption(model.id);
    await s.page.getByTestId('toggle-activation').check();
    await app.selectItem(item.id);
    await app.mapKind('activation');
    const panel = s.page.getByTestId('replay-activation');
    expect(await panel.getByTestId('activation-spearman').innerText()).toBe(
      first.spearman === null ? 'n/a (a constant map)' : first.spearman.toFixed(3),
    );
    expect(await panel.getByTestId('metrics-label').innerText()).toContain('activation of answer token 1');
    expect(Math.abs(parsePct(await panel.getByTestId('coverage-paper').innerText()) - first.metrics!.coveragePaper)).toBeLessThan(0.0001);
    await s.screenshot('replay-activation');
    await app.mapKind('attention');
    expect(s.errors).toEqual([]);
  }, 240_000);
});
