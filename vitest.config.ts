// Unit and integration tests (`npm test`). vite.config.ts roots Vite at renderer/ for the app build,
// so the test runner needs its own config rooted at the repository. End-to-end tests have theirs
// (vitest.e2e.config.ts) because they need a built renderer and a browser.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: '.',
  test: {
    include: ['electron/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx', 'test/integration/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'test/e2e/**'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // two cores: keep worker count small so ONNX sessions do not fight each other
    maxWorkers: 2,
  },
});
