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

  async step(key: 'j' | 'k' | 'ArrowDown' | 'ArrowUp' | 'Home' | 'End'): Promise<void> {
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

  /** The global pane's coverage line ("coverage 9.0% · layer 3 · mean of 4 heads · prompt token"). */
  coverage(): Promise<string> {
    return this.text('replay-coverage');
  }

  async chooseHead(head: 'mean' | 'max' | number): Promise<void> {
    await this.page.getByTestId('selection-replay').getByTestId('head-select').selectOption(String(head));
  }

  /** Switches Replay's map kind and waits for its activation panel (or for it to go). */
  async mapKind(kind: 'attention' | 'activation'): Promise<void> {
    await this.page.getByTestId('selection-replay').getByTestId('map-kind').selectOption(kind);
    const panel = this.page.getByTestId('replay-activation');
    await (kind === 'activation' ? panel.waitFor() : panel.waitFor({ state: 'detached' }));
  }

  async chooseBench(benchId: string): Promise<void> {
    await this.page.getByTestId('replay-bench').selectOption(benchId);
  }

  /** Items of the list whose row lies entirely inside the list's visible area. */
  fullyVisibleItems(): Promise<number> {
    return this.page.getByTestId('replay-list').evaluate((ul) => {
      const r = ul.getBoundingClientRect();
      return Array.from(ul.querySelectorAll('li')).filter((li) => {
        const b = li.getBoundingClientRect();
        return b.top >= r.top - 0.5 && b.bottom <= r.bottom + 0.5;
      }).length;
    });
  }

  /** Whether the item's row is inside the list's visible area. */
  isItemInView(itemId: string): Promise<boolean> {
    return this.page.getByTestId('replay-list').evaluate((ul, id) => {
      const li = ul.querySelector(`li[data-id="${CSS.escape(id)}"]`);
      if (!li) return false;
      const r = ul.getBoundingClientRect();
      const b = li.getBoundingClientRect();
      return b.top >= r.top - 0.5 && b.bottom <= r.bottom + 0.5;
    }, itemId);
  }
}
