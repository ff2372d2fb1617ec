// The web-mode stack end to end without a browser: ws-client -> token-checked server -> path guard ->
// engine supervisor -> worker thread -> real engine host and model package. Checks that attention maps
// arrive as Float32Array through both hops and that paths must be opened first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type LoupeServer } from '../../electron/server/server.js';
import { connectWsClient, engineUrlFromPage, type WebSocketLike, type WsEngineClient } from '../../electron/transport/ws-client.js';
import { SupervisedEngine } from '../../electron/worker/supervisor.js';
import { threadChannelFactory } from '../../electron/worker/thread-channel.js';
import { ROOT, findModelDir } from './fixtures.js';

const modelDir = findModelDir();

describe('loupe serve stack over WebSocket', () => {
  let runs: string;
  let engine: SupervisedEngine;
  let server: LoupeServer;
  let client: WsEngineClient;

  beforeAll(async () => {
    runs = mkdtempSync(join(tmpdir(), 'loupe-serve-it-'));
    engine = new SupervisedEngine({
      channel: threadChannelFactory(),
      hostOptions: { resourcesDir: join(ROOT, 'resources'), runsDir: runs },
    });
    server = await startServer({ engine, rendererDir: join(ROOT, 'dist/renderer') });
    const u = new URL(server.url);
    client = connectWsClient({
      url: engineUrlFromPage({ protocol: u.protocol, host: u.host, search: u.search }),
      createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    });
    await client.ready;
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await server?.close();
    await engine?.dispose();
    rmSync(runs, { recursive: true, force: true });
  });

  it('refuses a model folder that was not opened, accepts it once registered', async () => {
    await expect(client.call('models.open', { dir: modelDir })).rejects.toMatchObject({ code: 'forbidden', file: modelDir });
    server.registry.allowDir(modelDir);
    const model = await client.call('models.open', { dir: modelDir });
    expect(model.issues).toEqual([]);
  }, 60_000);

  it('analyses a bundled bench item and returns attention as Float32Array', async () => {
    const benches = await client.call('bench.list', {});
    const mini = benches.find((b) => b.name.includes('mini')) ?? benches[0];
    expect(mini).toBeDefined();
    const items = await client.call('bench.items', { benchId: mini.id });
    const item = items[0];
    const result = await client.call('analysis.run', {
      modelId: modelDir,
      image: { kind: 'benchItem', benchId: mini.id, itemId: item.id, view: 'global' },
      question: item.question,
      maxNewTokens: 2,
      ...(item.bbox ? { box: item.bbox } : {}),
    });
    const a = result.attention;
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(a.data.length).toBe(a.numQueries * a.numLayers * a.numHeads * a.gridH * a.gridW);
    expect(result.answer.length).toBeGreaterThan(0);
  }, 120_000);
});
