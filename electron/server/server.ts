// `loupe serve`: the renderer and the engine on 127.0.0.1, behind a random token.
// HTTP serves dist/renderer; /ws carries the engine protocol (binary frames, see wire-protocol.ts).
// Every request must present the token (query `?token=` or the cookie set on the first page load);
// Host and Origin are checked as well so that another web page cannot drive the engine (DNS rebinding,
// cross-site WebSocket).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EngineHandler } from '../contract/api.js';
import { createRpcServer } from '../transport/rpc-server.js';
import { WS_CLOSE_SERVER_SHUTDOWN, WS_CLOSE_UNAUTHORIZED } from '../transport/ws-client.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '../transport/wire-protocol.js';
import { securityHeaders } from './csp.js';
import { GuardedEngine } from './path-guard.js';
import { PathRegistry } from './path-registry.js';
import { serveStatic } from './static-files.js';
import { createToken, readCookie, tokenCookieName, tokensEqual } from './token.js';

export interface ServeOptions {
  engine: EngineHandler;
  /** Folder with the Vite build (index.html + assets). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default: a fresh random token. */
  token?: string;
  /** Paths the user opened; requests naming other paths are refused. */
  registry?: PathRegistry;
  /** Largest client message; images sent as bytes dominate. Default 256 MiB. */
  maxMessageBytes?: number;
  log?: (line: string) => void;
}

export interface LoupeServer {
  url: string;
  port: number;
  token: string;
  registry: PathRegistry;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startServer(options: ServeOptions): Promise<LoupeServer> {
  const token = options.token ?? createToken();
  const registry = options.registry ?? new PathRegistry();
  const engine = new GuardedEngine(options.engine, registry);
  const log = options.log ?? (() => {});
  const sockets = new Set<WebSocket>();
  let port = 0;

  const allowedHosts = (): string[] => [`${HOST}:${port}`, `localhost:${port}`];
  const headers = (): Record<string, string> => securityHeaders(allowedHosts().map((h) => `ws://${h}`));

  /** Token from `?token=` or this port's cookie. */
  const authorised = (req: IncomingMessage, url: URL): boolean =>
    tokensEqual(token, url.searchParams.get('token')) || tokensEqual(token, readCookie(req.headers.cookie, tokenCookieName(port)));
  const hostOk = (req: IncomingMessage): boolean => allowedHosts().includes(req.headers.host ?? '');
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    // Non-browser clients (CLI, tests) send no Origin; browsers always do on WebSocket upgrades.
    return origin === undefined || allowedHosts().some((h) => origin === `http://${h}`);
  };

  const deny = (res: ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { ...headers(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`${message}\n`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (!hostOk(req)) return deny(res, 403, `Loupe only answers to http://${HOST}:${port}.`);
    if (!authorised(req, url)) {
      log(`refused ${req.method} ${url.pathname}: missing or wrong token`);
      return deny(res, 401, 'Missing or wrong access token: open the full URL that `loupe serve` printed (it ends in ?token=...).');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Only GET and HEAD are served; the engine is on /ws.');
    for (const [name, value] of Object.entries(headers())) res.setHeader(name, value);
    // The page's asset requests carry no query string: a cookie bound to this port authorises them.
    res.setHeader('Set-Cookie', `${tokenCookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    serveStatic(options.rendererDir, url.pathname, req.method === 'HEAD', res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 256 * 1024 * 1024 });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (url.pathname !== '/ws' || !hostOk(req) || !originOk(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!authorised(req, url)) {
        // Accept, then close with a reason: browsers hide the HTTP status of a refused upgrade, and the
        // page should be able to say "wrong token" instead of "connection failed".
        log('refused WebSocket: missing or wrong token');
        ws.close(WS_CLOSE_UNAUTHORIZED, 'missing or wrong access token');
        return;
      }
      attach(ws);
    });
  });

  const attach = (ws: WebSocket): void => {
    sockets.add(ws);
    const rpc = createRpcServer(engine, {
      send: (message) => ws.send(encodeMessage(message)),
      onProtocolError: (reason) => log(`bad message from the page: ${reason}`),
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      let message: unknown;
      try {
        message = decodeMessage(bytes);
      } catch (err) {
        log(`undecodable frame: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      rpc.receive(message);
    });
    ws.on('close', () => {
      sockets.delete(ws);
      rpc.close();
    });
    ws.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION }));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    registry,
    async close() {
      for (const ws of sockets) ws.close(WS_CLOSE_SERVER_SHUTDOWN, 'server shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
