// Web-mode transport: the shell's browser-safe WebSocket client, pointed at the page's own origin with
// the page's token. The wire protocol lives in electron/transport (one codec for both ends).
import type { EngineClient } from '../../../electron/contract/api.js';
import { connectWsClient, engineUrlFromPage } from '../../../electron/transport/ws-client.js';

export function createWebClient(location: Location): EngineClient {
  return connectWsClient({ url: engineUrlFromPage(location) });
}
