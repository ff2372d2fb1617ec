// TEST HELPER: a CliContext that captures output and serves a given EngineHandler in-process.
import type { EngineHandler } from '../../contract/api.js';
import { clientOf } from '../engine-session.js';
import type { CliContext, CliIo, EngineSessionOptions } from '../io.js';

export interface ContextDouble extends CliContext {
  stdout: () => string;
  stderr: () => string;
  abort: () => void;
  /** The options of each openEngine call, in order (what the command asked the engine host for). */
  opened: EngineSessionOptions[];
}

export function contextDouble(engine: EngineHandler, cwd: string): ContextDouble {
  let out = '';
  let err = '';
  const controller = new AbortController();
  const opened: EngineSessionOptions[] = [];
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, columns: 80, cwd, env: {} };
  return {
    io,
    signal: controller.signal,
    openEngine: async (options) => {
      opened.push(options);
      return { client: clientOf(engine), handler: engine, dispose: async () => {} };
    },
    opened,
    stdout: () => out,
    stderr: () => err,
    abort: () => controller.abort(),
  };
}
