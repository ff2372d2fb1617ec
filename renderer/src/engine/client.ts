// Picks the transport to the engine. The rest of the renderer only ever sees an EngineClient.
// - Electron: the preload exposes `window.loupeBridge` (raw messages over IPC); the EngineClient is
//   built here, in the page, because AbortSignals cannot cross Electron's context bridge.
// - Web mode (`loupe serve`): a WebSocket client to the page's own origin, authenticated with the
//   `?token=` the server printed in the URL.
import type { EngineClient } from '../../../electron/contract/api.js';
import { createBridgeClient, desktopBridge } from '../../../electron/transport/bridge-client.js';
import { createWebClient } from './web-client.js';

let client: EngineClient | null = null;

export function getClient(): EngineClient {
  if (client) return client;
  const bridge = desktopBridge();
  client = bridge ? createBridgeClient(bridge) : createWebClient(window.location);
  return client;
}

/** Tests and benches inject a client (e.g. one that counts calls). */
export function setClient(next: EngineClient): void {
  client = next;
}
