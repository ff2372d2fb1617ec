// TEST DOUBLE: an engine host module for supervisor tests, loaded inside a real worker thread.
// `models.unload` kills the engine thread (like a native crash); `batch.cancel` throws an uncaught
// error from a timer; `options.failToStart` makes the host fail to construct.
import type { EngineHandler, MethodName, ParamsOf, ResultOf } from '../../contract/api.js';
import { EngineHandlerDouble } from '../../transport/testing/engine-double.js';

class CrashingEngineDouble extends EngineHandlerDouble {
  override async handle<M extends MethodName>(method: M, params: ParamsOf<M>, signal: AbortSignal): Promise<ResultOf<M>> {
    if (method === 'models.unload') process.exit(7);
    if (method === 'batch.cancel') {
      setTimeout(() => {
        throw new Error('simulated uncaught engine error');
      }, 0);
      return new Promise<never>(() => {});
    }
    return super.handle(method, params, signal);
  }
}

export function createEngineHost(options: Record<string, unknown>): EngineHandler {
  if (options.failToStart) throw new Error('simulated broken install: onnxruntime-node binary missing');
  return new CrashingEngineDouble();
}
