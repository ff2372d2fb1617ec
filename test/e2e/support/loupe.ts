// Starts Loupe's web mode in-process for a test file: the built renderer (dist/renderer) behind the
// shell's token-checked server, over the real engine host in a worker thread (the same stack
// `loupe serve` runs). LOUPE_E2E_FAKE=1 swaps in the synthetic engine for UI work without models.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineClient, EngineHandler } from '../../../electron/contract/api.js';
import { startServer, type LoupeServer } from '../../../electron/server/server.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RENDERER_DIR = join(ROOT, 'dist/renderer');
export const BENCH_JSON = join(ROOT, 'resources/bench/loupe-mini/test.json');

export interface Loupe {
  url: string;
  server: LoupeServer;
  /** The engine the page talks to: tests ask it directly for the numbers the UI must show. */
  engine: EngineHandler;
  fake: boolean;
  close(): Promise<void>;
}

export async function startLoupe(): Promise<Loupe> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error('dist/renderer is missing: build the renderer first (`npx vite build`; `npm run test:e2e` does it).');
  }
  const fake = process.env.LOUPE_E2E_FAKE === '1';
  const runsDir = mkdtempSync(join(tmpdir(), 'loupe-e2e-runs-'));
  let engine: EngineHandler;
  let dispose: () => Promise<void> | void = () => {};
  if (fake) {
    const { createSyntheticEngineDouble } = await import('../../../electron/transport/testing/synthetic-engine-double.js');
    engine = createSyntheticEngineDouble(BENCH_JSON);
  } else {
    const { SupervisedEngine } = await import('../../../electron/worker/supervisor.js');
    const { threadChannelFactory } = await import('../../../electron/worker/thread-channel.js');
    const supervised = new SupervisedEngine({
      channel: threadChannelFactory(),
      hostOptions: {
        resourcesDir: join(ROOT, 'resources'),
        runsDir,
        modelDirs: (process.env.LOUPE_E2E_MODEL_DIRS ?? '').split(':').filter(Boolean),
      },
    });
    engine = supervised;
    dispose = () => supervised.dispose();
  }
  const server = await startServer({ engine, rendererDir: RENDERER_DIR });
  return {
    url: server.url,
    server,
    engine,
    fake,
    async close() {
      await server.close();
      await dispose();
      rmSync(runsDir, { recursive: true, force: true });
    },
  };
}

/** The engine seen as a client, for tests that check the UI against the engine's own numbers. */
export function clientOf(loupe: Loupe): EngineClient {
  return {
    call: (method, params, options) => loupe.engine.handle(method, params, options?.signal ?? new AbortController().signal),
    onEvent: (listener) => loupe.engine.onEvent(listener),
  };
}
