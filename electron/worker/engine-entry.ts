// Entry of the engine process: a worker thread (web mode, CLI) or an Electron utility process
// (desktop). It loads the engine host named by the init message and serves it over the RPC protocol.
// Running the engine here keeps inference and long batch runs off the thread that serves the UI.
import { parentPort as threadPort } from 'node:worker_threads';
import type { EngineHandler } from '../contract/api.js';
import { createRpcServer } from '../transport/rpc-server.js';
import { PROTOCOL_VERSION } from '../transport/wire-protocol.js';
import type { EngineHostOptions, FromEngine, InitMessage } from './messages.js';

interface Port {
  post(message: FromEngine): void;
  on(listener: (message: unknown) => void): void;
}

/** Electron's utility process exposes `process.parentPort`; worker threads have `parentPort`. */
function openPort(): Port | null {
  const utility = (
    process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (ev: { data: unknown }) => void): void } }
  ).parentPort;
  if (utility) return { post: (m) => utility.postMessage(m), on: (l) => utility.on('message', (ev) => l(ev.data)) };
  if (threadPort) {
    const port = threadPort;
    return { post: (m) => port.postMessage(m), on: (l) => port.on('message', l) };
  }
  return null;
}

interface HostModule {
  createEngineHost?: (options: EngineHostOptions) => EngineHandler | Promise<EngineHandler>;
  EngineHost?: new (options: EngineHostOptions) => EngineHandler;
}

async function loadHost(init: InitMessage): Promise<EngineHandler> {
  // The real host by a literal specifier (esbuild bundles it into the entry); test doubles by URL.
  const specifier = init.hostModule ?? 'the engine host (electron/engine/host)';
  const mod = (init.hostModule ? await import(init.hostModule) : await import('../engine/host/index.js')) as HostModule;
  if (mod.createEngineHost) return mod.createEngineHost(init.options);
  if (mod.EngineHost) return new mod.EngineHost(init.options);
  throw new Error(`${specifier} exports neither createEngineHost nor EngineHost`);
}

function main(): void {
  const port = openPort();
  if (!port) {
    console.error('engine-entry must run in a worker thread or an Electron utility process.');
    process.exitCode = 2;
    return;
  }
  let serve: ((message: unknown) => void) | null = null;
  const early: unknown[] = [];
  port.on((message) => {
    if (serve) return serve(message);
    const m = message as { type?: unknown };
    if (m.type !== 'init') return void early.push(message);
    loadHost(message as InitMessage).then(
      (handler) => {
        const rpc = createRpcServer(handler, { send: (reply) => port.post(reply) });
        serve = (msg) => rpc.receive(msg);
        port.post({ type: 'hello', protocol: PROTOCOL_VERSION });
        for (const msg of early.splice(0)) rpc.receive(msg);
      },
      (err: unknown) => {
        const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
        port.post({ type: 'fatal', message: `The engine could not start: ${detail}` });
      },
    );
  });
}

main();
