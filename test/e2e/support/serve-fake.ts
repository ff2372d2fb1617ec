// Dev helper: `npx tsx test/e2e/support/serve-fake.ts` serves the built renderer over the fake engine.
import { fileURLToPath } from 'node:url';
import { startServer } from '../../../electron/server/server.js';
import { createSyntheticEngineDouble } from '../../../electron/transport/testing/synthetic-engine-double.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const server = await startServer({
  engine: createSyntheticEngineDouble(`${root}resources/bench/loupe-mini/test.json`),
  rendererDir: `${root}dist/renderer`,
  port: Number(process.env.PORT ?? 0),
});
console.log(`${server.url}`);
