// Inspect view: pick an item or image, run, read the answer and metrics, drive the layer slider and box.
import type { Page } from 'playwright-core';
import { AppPage, parsePct } from './AppPage.js';

export class InspectPage extends AppPage {
  constructor(page: Page) {
    super(page);
  }

  async pickBenchItem(itemId: string): Promise<void> {
    await this.page.getByTestId('bench-item').selectOption(itemId);
    await this.page.getByTestId('image-name').filter({ hasText: itemId }).waitFor();
  }

  /** Selects by model id (the option values are ids). */
  async chooseModel(id: string): Promise<void> {
    await this.page.getByTestId('inspect-model').selectOption(id);
  }

  async run(): Promise<void> {
    await this.page.getByTestId('run').click();
    await this.page.getByTestId('answer').waitFor({ timeout: 120_000 });
    await this.page.getByTestId('inspect-canvas-overlay').waitFor();
  }

  answer(): Promise<string> {
    return this.page.getByTestId('answer').locator('strong').innerText();
  }

  async metric(name: 'coverage-paper' | 'coverage-area' | 'area-share' | 'rel-coverage'): Promise<number> {
    return parsePct(await this.text(name));
  }

  /** Switches the map kind (attention | activation) and waits for the label to name it. */
  async mapKind(kind: 'attention' | 'activation'): Promise<void> {
    await this.page.getByTestId('map-kind').selectOption(kind);
    const label = this.page.getByTestId('selection-label');
    if (kind === 'activation') await label.filter({ hasText: 'activation of answer token' }).waitFor();
    else await label.filter({ hasText: 'layer' }).waitFor();
  }

  /** Picks an answer token's activation map (0-based) and waits for the note to name it. */
  async activationToken(i: number): Promise<void> {
    await this.page.getByTestId(`act-token-${i}`).click();
    await this.page
      .getByTestId('activation-note')
      .filter({ hasText: `answer token ${i + 1} ` })
      .waitFor();
  }

  async layer(): Promise<number> {
    return Number(await this.page.getByTestId('layer-slider').inputValue());
  }

  async setLayer(n: number): Promise<void> {
    await this.page.getByTestId('layer-slider').fill(String(n));
    await this.page
      .getByTestId('layer-value')
      .filter({ hasText: `${n} /` })
      .waitFor();
    // The side panel follows a frame after the heatmap: wait for its numbers to be the new layer's.
    if (await this.page.getByTestId('metrics').count())
      await this.page
        .getByTestId('metrics-label')
        .filter({ hasText: `layer ${n} ·` })
        .waitFor();
  }

  /** The overlay canvas's RGBA pixels (one pixel per token cell), as a plain array. */
  overlayPixels(testId = 'inspect-canvas-overlay'): Promise<number[]> {
    return this.page.getByTestId(testId).evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
    });
  }

  /** Moves the key box with the keyboard (Shift+Arrow = 10 px per press). */
  async nudgeBox(key: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown', presses: number): Promise<void> {
    await this.page.getByTestId('key-box').focus();
    for (let i = 0; i < presses; i++) await this.page.keyboard.press(`Shift+${key}`);
  }

  async boxNumbers(): Promise<number[]> {
    const out: number[] = [];
    for (const n of ['x1', 'y1', 'x2', 'y2']) out.push(Number(await this.page.getByTestId(`box-${n}`).inputValue()));
    return out;
  }

  /** Types the box's four numbers and applies them with Enter (a typed box is applied only then). */
  async typeBox(b: [number, number, number, number]): Promise<void> {
    await this.fillBox(b);
    await this.page.getByTestId('box-y2').press('Enter');
  }

  /** Types the box's numbers without applying them. */
  async fillBox(b: [number, number, number, number]): Promise<void> {
    const names = ['x1', 'y1', 'x2', 'y2'];
    for (let i = 0; i < 4; i++) await this.page.getByTestId(`box-${names[i]}`).fill(String(b[i]));
  }

  /** What the numbers measure, as the metrics table says it. */
  metricsLabel(): Promise<string> {
    return this.text('metrics-label');
  }

  /** Waits until the metrics label says `expected` (the side panel follows the heatmap by one frame), then returns it. */
  async metricsLabelWith(expected: string): Promise<string> {
    await this.page.getByTestId('metrics-label').filter({ hasText: expected }).waitFor({ timeout: 10_000 });
    return this.metricsLabel();
  }

  async chooseHead(head: 'mean' | 'max' | number): Promise<void> {
    await this.page.getByTestId('selection-inspect').getByTestId('head-select').selectOption(String(head));
  }

  /** Moves the pointer over the centre of the heatmap and returns the cell readout. */
  async hoverReadout(): Promise<string> {
    const box = (await this.page.getByTestId('inspect-canvas').boundingBox())!;
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    return this.page.getByTestId('cell-readout').innerText();
  }

  /** Opens an image file through the file input (bytes as given; nothing is checked on this side). */
  async openImageFile(name: string, mimeType: string, buffer: Buffer): Promise<void> {
    await this.page.getByTestId('image-file').setInputFiles({ name, mimeType, buffer });
  }
}
