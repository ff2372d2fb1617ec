// End-to-end tests: Chromium (playwright-core) drives the web mode over the real engine.
// One file at a time: the engine and the browser share two CPU cores with everything else.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
