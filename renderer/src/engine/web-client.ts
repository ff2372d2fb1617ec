// Web-mode transport. The wire protocol belongs to the shell (electron/transport/ws-client.ts);
// this file only adapts it to the page (URL + token).
import type { EngineClient } from '../../../electron/contract/api.js';

export function createWebClient(_location: Location, _token: string | null): EngineClient {
  throw new Error('The web-mode transport is not available yet: start Loupe with `loupe serve` once it lands.');
}
