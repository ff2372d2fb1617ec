// Compare view: two models on one item, and two runs.
import type { Page } from 'playwright-core';
import { AppPage } from './AppPage.js';

export class ComparePage extends AppPage {
  constructor(page: Page) {
    super(page);
  }

  async selectedModelName(which: 'a' | 'b'): Promise<string> {
    return this.page.getByTestId(`compare-model-${which}`).locator('option:checked').innerText();
  }

  async runItem(): Promise<void> {
    await this.page.getByTestId('compare-run').click();
    await this.page.getByTestId('compare-b-answer').filter({ hasText: 'Answer' }).waitFor({ timeout: 120_000 });
  }

  async answer(which: 'a' | 'b'): Promise<string> {
    return this.page.getByTestId(`compare-${which}-answer`).locator('strong').innerText();
  }
}
