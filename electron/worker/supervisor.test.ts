import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../contract/api.js';
import { SupervisedEngine } from './supervisor.js';
import { threadChannelFactory } from './thread-channel.js';

const hostModule = new URL('./testing/crashing-host-double.ts', import.meta.url).href;
const never = new AbortController().signal;

describe('SupervisedEngine over a worker thread', () => {
  const engines: SupervisedEngine[] = [];
  const make = (hostOptions: Record<string, unknown> = {}, maxCrashes?: number): SupervisedEngine => {
    const engine = new SupervisedEngine({
      channel: threadChannelFactory(),
      hostModule,
      hostOptions,
      ...(maxCrashes !== undefined ? { maxCrashes } : {}),
    });
    engines.push(engine);
    return engine;
  };
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.dispose()));
  });

  it('runs calls in the worker and carries typed arrays and events back', async () => {
    const engine = make();
    const events: EngineEvent[] = [];
    engine.onEvent((e) => events.push(e));
    expect((await engine.handle('engine.info', {}, never)).version).toBe('double');
    const result = await engine.handle(
      'analysis.run',
      { modelId: 'm', image: { kind: 'bytes', name: 'a', bytes: new Uint8Array(1) }, question: 'q' },
      never,
    );
    expect(result.attention.data).toBeInstanceOf(Float32Array);
    expect(events.some((e) => e.type === 'analysis.stage')).toBe(true);
  }, 120_000);

  it('restarts after the engine thread dies and tells listeners', async () => {
    const engine = make();
    const events: EngineEvent[] = [];
    engine.onEvent((e) => events.push(e));
    await engine.start();
    await expect(engine.handle('models.unload', { modelId: 'm' }, never)).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/engine stopped.*code 7/),
    });
    expect(events.find((e) => e.type === 'engine.restarted')).toBeTruthy();
    expect(engine.restarts).toBe(1);
    expect((await engine.handle('engine.info', {}, never)).version).toBe('double');
  }, 120_000);

  it('restarts after an uncaught error inside the engine', async () => {
    const engine = make();
    await expect(engine.handle('batch.cancel', { runId: 'r' }, never)).rejects.toMatchObject({
      message: expect.stringMatching(/simulated uncaught engine error/),
    });
    expect((await engine.handle('engine.info', {}, never)).version).toBe('double');
  }, 120_000);

  it('cancels a call in the worker through AbortSignal', async () => {
    const engine = make();
    const controller = new AbortController();
    const run = engine.handle(
      'batch.start',
      { modelId: 'm', benchId: 'b', views: ['global'], layers: [], maxNewTokens: 1 },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 200);
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  }, 120_000);

  it('does not restart an engine that cannot start, and says why', async () => {
    const engine = make({ failToStart: true });
    await expect(engine.handle('engine.info', {}, never)).rejects.toMatchObject({
      message: expect.stringMatching(/could not start.*onnxruntime-node binary missing/s),
    });
    expect(engine.restarts).toBe(0);
  }, 120_000);

  it('gives up after repeated crashes', async () => {
    const engine = make({}, 1);
    await expect(engine.handle('models.unload', { modelId: 'm' }, never)).rejects.toThrow(/engine stopped/);
    await expect(engine.handle('models.unload', { modelId: 'm' }, never)).rejects.toThrow(/engine stopped/);
    await expect(engine.handle('engine.info', {}, never)).rejects.toThrow(/crashed 2 times/);
  }, 120_000);
});
