// Batch view: start a run, watch it, cancel, resume; read the dashboard.
import type { Page } from 'playwright-core';
import { AppPage } from './AppPage.js';

export class BatchPage extends AppPage {
  constructor(page: Page) {
    super(page);
  }

  async start(modelId: string, limit: number): Promise<void> {
    await this.page.getByTestId('batch-model').selectOption(modelId);
    await this.page.getByTestId('batch-limit').fill(String(limit));
    await this.page.getByTestId('batch-start').click();
  }

  /** The state pill of the selected (first) run row. */
  runState(row = 0): Promise<string> {
    return this.page.getByTestId('run-row').nth(row).getByTestId('run-state').innerText();
  }

  async waitState(state: string, row = 0, timeout = 200_000): Promise<void> {
    await this.page.getByTestId('run-row').nth(row).getByTestId('run-state').filter({ hasText: state }).waitFor({ timeout });
  }

  /** The counts of one view's accuracy card ("3 correct · 2 wrong · 1 unjudged · 0 failed"). */
  async counts(view: 'global' | 'regional'): Promise<{ correct: number; wrong: number; unjudged: number; failed: number }> {
    const t = await this.text(`acc-${view}-counts`);
    const n = (w: string) => Number(new RegExp(`(\\d+) ${w}`).exec(t)?.[1] ?? NaN);
    return { correct: n('correct'), wrong: n('wrong'), unjudged: n('unjudged'), failed: n('failed') };
  }

  /** "61.1% of all 180 items" and "70.1% of 157 judged", as shown. */
  async accuracy(view: 'global' | 'regional'): Promise<{ all: string; judged: string }> {
    return { all: await this.text(`acc-${view}-all`), judged: await this.text(`acc-${view}-judged`) };
  }
}
