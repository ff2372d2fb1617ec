import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineEvent } from '../contract/api.js';
import { startServer, type LoupeServer } from '../server/server.js';
import { EngineCallError } from './rpc-client.js';
import { EngineHandlerDouble } from './testing/engine-double.js';
import { connectWsClient, engineUrlFromPage, type WebSocketLike, type WsEngineClient } from './ws-client.js';

const createSocket = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike;

function waitFor<T>(predicate: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const value = predicate();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('ws-client <-> server <-> engine (test double)', () => {
  let dir: string;
  let server: LoupeServer;
  let client: WsEngineClient;
  const engine = new EngineHandlerDouble();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-ws-'));
    writeFileSync(join(dir, 'opened.png'), 'x');
    server = await startServer({ engine, rendererDir: dir, token: 'tok' });
    server.registry.allowFile(join(dir, 'opened.png'));
    client = connectWsClient({
      url: engineUrlFromPage({ protocol: 'http:', host: `127.0.0.1:${server.port}`, search: '?token=tok' }),
      createSocket,
    });
    await client.ready;
  });

  afterAll(async () => {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls a method and gets typed arrays back intact', async () => {
    const info = await client.call('engine.info', {});
    expect(info.version).toBe('double');
    const models = await client.call('models.list', {});
    const result = await client.call('analysis.run', {
      modelId: models[0].id,
      image: { kind: 'bytes', name: 'a.png', bytes: new Uint8Array([1, 2]) },
      question: 'What colour?',
    });
    expect(result.answer).toBe('A');
    expect(result.attention.data).toBeInstanceOf(Float32Array);
    expect(result.attention.data[5]).toBeCloseTo(5 / 16);
    expect(result.timings.metricsMs).toBeNaN();
  });

  it('sends bytes to the engine and back', async () => {
    const got = await client.call('images.get', { source: { kind: 'bytes', name: 'x.png', bytes: new Uint8Array([9, 8, 7]) } });
    expect(Array.from(got.bytes)).toEqual([9, 8, 7]);
  });

  it('delivers engine events to listeners until they unsubscribe', async () => {
    const analyze = () =>
      client.call('analysis.run', {
        modelId: '/models/double',
        image: { kind: 'bytes', name: 'a', bytes: new Uint8Array(1) },
        question: 'q',
      });
    const events: EngineEvent[] = [];
    const off = client.onEvent((e) => events.push(e));
    await analyze();
    const stage = await waitFor(() => events.find((e) => e.type === 'analysis.stage'));
    expect(stage).toMatchObject({ type: 'analysis.stage', stage: 'vision' });
    off();
    const delivered = events.length;
    // A second listener proves the next event did arrive: the first must not have seen it.
    const later: EngineEvent[] = [];
    const offLater = client.onEvent((e) => later.push(e));
    await analyze();
    await waitFor(() => later.find((e) => e.type === 'analysis.stage'));
    offLater();
    expect(events).toHaveLength(delivered);
  });

  it('cancels a long call through AbortSignal and the engine sees the abort', async () => {
    const controller = new AbortController();
    const progress = new Promise<EngineEvent>((resolve) => {
      const off = client.onEvent((e) => {
        if (e.type === 'batch.progress') {
          off();
          resolve(e);
        }
      });
    });
    await client.call('bench.list', {});
    await client.call('bench.open', { path: join(dir, 'opened.png') });
    const run = client.call(
      'batch.start',
      { modelId: '/models/double', benchId: join(dir, 'opened.png'), views: ['global'], layers: [], maxNewTokens: 4 },
      { signal: controller.signal },
    );
    await progress;
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    await waitFor(() => (engine.aborted.includes('batch.start') ? true : undefined));
  });

  it('refuses paths that were never opened, and allows opened ones', async () => {
    const refused = client.call('images.get', { source: { kind: 'path', path: '/etc/passwd' } });
    await expect(refused).rejects.toBeInstanceOf(EngineCallError);
    await expect(refused).rejects.toMatchObject({ code: 'forbidden', file: '/etc/passwd' });
    await expect(client.call('models.open', { dir: '/home' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.call('models.load', { modelId: '/somewhere/else', provider: 'cpu' })).rejects.toMatchObject({ code: 'forbidden' });
    const ok = await client.call('images.get', { source: { kind: 'path', path: join(dir, 'opened.png') } });
    expect(ok.mime).toBe('image/png');
  });

  it('turns engine errors into EngineCallError with the contract code', async () => {
    await expect(client.call('compare.runs', { runA: 'a', runB: 'b' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('reports a wrong token as unauthorized instead of retrying', async () => {
    const bad = connectWsClient({ url: `ws://127.0.0.1:${server.port}/ws?token=nope`, createSocket });
    await expect(bad.ready).rejects.toThrow(/token/);
    expect(bad.status).toBe('unauthorized');
    await expect(bad.call('engine.info', {})).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('ws-client reconnection', () => {
  it('fails calls in flight when the server goes away, reconnects, and reports engine.restarted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-ws-re-'));
    const engine = new EngineHandlerDouble();
    let server = await startServer({ engine, rendererDir: dir, token: 'tok' });
    const port = server.port;
    const client = connectWsClient({ url: `ws://127.0.0.1:${port}/ws?token=tok`, createSocket });
    await client.ready;
    const events: EngineEvent[] = [];
    client.onEvent((e) => events.push(e));
    const statuses: string[] = [];
    client.onStatus((s) => statuses.push(s));
    server.registry.allowFile(join(dir, 'b.json'));
    await client.call('bench.open', { path: join(dir, 'b.json') });
    const hanging = client.call('batch.start', {
      modelId: '/models/double',
      benchId: join(dir, 'b.json'),
      views: ['global'],
      layers: [],
      maxNewTokens: 1,
    });
    hanging.catch(() => {});
    await waitFor(() => (engine.calls.some((c) => c.method === 'batch.start') ? true : undefined));
    await server.close();
    await expect(hanging).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/closed/) });
    server = await startServer({ engine, rendererDir: dir, token: 'tok', port });
    await waitFor(() => events.find((e) => e.type === 'engine.restarted'), 5000);
    expect(statuses).toContain('reconnecting');
    expect((await client.call('engine.info', {})).version).toBe('double');
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
