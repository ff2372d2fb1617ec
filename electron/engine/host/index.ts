// Entry of the engine host (loaded by electron/worker/engine-entry.ts and used directly by tests/CLI).
import { EngineHost } from './engine-host.js';

export { EngineHost };
export { resolveConfig, type EngineHostConfig } from './options.js';

export function createEngineHost(options: Record<string, unknown> = {}): EngineHost {
  return new EngineHost(options);
}
