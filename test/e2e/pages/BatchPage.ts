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
}
