// Replay view: item list, keyboard stepping, the two views side by side.
import type { Page } from 'playwright-core';
import { AppPage } from './AppPage.js';

export class ReplayPage extends AppPage {
  constructor(page: Page) {
    super(page);
  }

  async selectItem(itemId: string): Promise<void> {
    await this.page.locator(`[data-testid="replay-list"] li[data-id="${itemId}"]`).click();
    await this.waitItem(itemId);
  }

  async waitItem(itemId: string): Promise<void> {
    await this.page.getByTestId('replay-item').filter({ hasText: itemId }).waitFor({ timeout: 120_000 });
    await this.page.getByTestId('replay-global-overlay').waitFor();
  }

  async step(key: 'j' | 'k' | 'ArrowDown' | 'ArrowUp'): Promise<void> {
    await this.page.getByTestId('replay-list').press(key);
  }

  selectedId(): Promise<string | null> {
    return this.page.locator('[data-testid="replay-list"] li[aria-selected="true"]').getAttribute('data-id');
  }

  async answers(): Promise<{ truth: string; global: string; regional: string }> {
    return {
      truth: await this.text('replay-gt'),
      global: await this.text('replay-answer-global'),
      regional: await this.text('replay-answer-regional'),
    };
  }

  async count(): Promise<string> {
    return this.text('replay-count');
  }
}
