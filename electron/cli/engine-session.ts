// The CLI's engine: the real engine host in a worker thread (so a native crash is reported, not fatal
// to the progress display), seen through the same EngineClient interface the renderer uses.
import type { CallOptions, EngineClient, EngineHandler, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import { SupervisedEngine } from '../worker/supervisor.js';
import { threadChannelFactory } from '../worker/thread-channel.js';
import type { EngineSession, EngineSessionOptions } from './io.js';

/** An EngineHandler seen as an EngineClient (a call without a signal gets one that never fires). */
export function clientOf(handler: EngineHandler): EngineClient {
  return {
    call<M extends MethodName>(method: M, params: ParamsOf<M>, options: CallOptions = {}): Promise<ResultOf<M>> {
      return handler.handle(method, params, options.signal ?? new AbortController().signal);
    },
    onEvent: (listener) => handler.onEvent(listener),
  };
}

export async function openThreadEngine(options: EngineSessionOptions): Promise<EngineSession> {
  const hostOptions: Record<string, unknown> = {};
  if (options.resourcesDir) hostOptions.resourcesDir = options.resourcesDir;
  if (options.runsDir) hostOptions.runsDir = options.runsDir;
  if (options.maxPixels !== undefined) hostOptions.maxPixels = options.maxPixels;
  const engine = new SupervisedEngine({ channel: threadChannelFactory(), hostOptions });
  // Start now: a broken install is reported before any output, and serve's URL only appears when usable.
  await engine.start();
  return { client: clientOf(engine), handler: engine, dispose: () => engine.dispose() };
}
