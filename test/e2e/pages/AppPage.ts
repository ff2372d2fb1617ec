// The app shell: opening the page with its token, waiting for the engine, switching views and theme.
import type { Page } from 'playwright-core';

export type TabName = 'inspect' | 'replay' | 'batch' | 'compare';

export class AppPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('engine-status').filter({ hasText: 'engine ready' }).waitFor({ timeout: 60_000 });
  }

  async tab(name: TabName): Promise<void> {
    await this.page.getByTestId(`tab-${name}`).click();
  }

  async theme(): Promise<'dark' | 'light'> {
    return (await this.page.evaluate(() => document.documentElement.dataset.theme)) as 'dark' | 'light';
  }

  async toggleTheme(): Promise<void> {
    await this.page.getByTestId('theme').click();
  }

  text(testId: string): Promise<string> {
    return this.page.getByTestId(testId).innerText();
  }
}

/** "30.06%" -> 0.3006 */
export function parsePct(s: string): number {
  const m = /(-?[\d.]+)\s*%/.exec(s);
  if (!m) throw new Error(`not a percentage: ${s}`);
  return Number(m[1]) / 100;
}
