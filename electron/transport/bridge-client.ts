// EngineClient over the Electron preload bridge (`window.loupeBridge`), built in the page so that
// AbortSignal cancellation works (signals cannot cross the context bridge). Browser-safe.
import type { EngineClient } from '../contract/api.js';
import { RpcClient } from './rpc-client.js';
import type { LoupeBridge } from './shell-protocol.js';

export function createBridgeClient(bridge: LoupeBridge): EngineClient {
  const rpc = new RpcClient({ send: (message) => bridge.send(message) });
  bridge.onMessage((message) => rpc.receive(message));
  return rpc;
}

/** The bridge when running in the desktop shell; undefined in a browser (web mode). */
export function desktopBridge(): LoupeBridge | undefined {
  return (globalThis as { loupeBridge?: LoupeBridge }).loupeBridge;
}
