// Runs the engine in a worker_thread (web mode and CLI). When Loupe runs from TypeScript source
// (tsx, Vitest), the worker gets tsx's loader too, since loaders registered in code do not reach workers.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChannelFactory, EngineChannel } from './messages.js';
import { moduleExt } from './source-ext.js';

/** The entry beside this file, with this file's own extension (.ts from source, .js when bundled). */
export function defaultEntryUrl(): URL {
  const ext = moduleExt(import.meta.url);
  return new URL(`./engine-entry${ext}`, import.meta.url);
}

/**
 * A worker for a .ts entry starts from a small eval'd bootstrap that imports the entry through tsx's
 * `tsImport`: in Node 20, `--import tsx` in a worker's execArgv does not apply to the worker's own
 * main module, and `register()` from inside the worker races the first import.
 */
function workerSpec(entry: URL): { target: URL | string; eval: boolean } {
  if (!entry.pathname.endsWith('.ts')) return { target: entry, eval: false };
  const require = createRequire(import.meta.url);
  // The ESM build of tsx's API (require.resolve would pick the CommonJS one).
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const href = JSON.stringify(entry.href);
  return { target: `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${href}, ${href}))`, eval: true };
}

export interface ThreadChannelOptions {
  entry?: URL;
  /** Extra resource limits: a runaway engine should die alone, not take the CLI or server with it. */
  maxOldGenerationSizeMb?: number;
}

export function threadChannelFactory(options: ThreadChannelOptions = {}): ChannelFactory {
  const entry = options.entry ?? defaultEntryUrl();
  return (): EngineChannel => {
    const spec = workerSpec(entry);
    const worker = new Worker(spec.target, {
      eval: spec.eval,
      // Engine chatter (onnxruntime, transformers.js) goes to stderr so `--json` on stdout stays clean.
      stdout: true,
      stderr: false,
      ...(options.maxOldGenerationSizeMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } } : {}),
    });
    worker.stdout.pipe(process.stderr, { end: false });
    let lastError = '';
    const exitListeners: ((detail: string) => void)[] = [];
    worker.on('error', (err) => {
      lastError = err instanceof Error ? (err.stack ?? err.message) : String(err);
    });
    worker.on('exit', (code) => {
      const detail = lastError ? `the engine thread crashed: ${lastError}` : `the engine thread exited with code ${code}`;
      for (const l of exitListeners) l(detail);
    });
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (listener) => void worker.on('message', listener),
      onExit: (listener) => void exitListeners.push(listener),
      terminate: async () => {
        await worker.terminate();
      },
    };
  };
}
