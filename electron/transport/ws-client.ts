// EngineClient over the web mode's WebSocket (`loupe serve`). Browser-safe: uses the standard WebSocket
// API (or an injected implementation, e.g. the `ws` package in Node tests) and the binary codec.
import type { CallOptions, EngineClient, EngineEvent, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import { RpcClient, TransportError } from './rpc-client.js';
import { decodeMessage, encodeMessage } from './wire-protocol.js';

/** Close codes the server uses; 4xxx are application codes in the WebSocket spec. */
export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_SERVER_SHUTDOWN = 4000;

/** The subset of the WebSocket API we use, so the browser's and the `ws` package's both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'unauthorized';

export interface WsClientOptions {
  /** `ws://127.0.0.1:PORT/ws?token=...` (see `engineUrlFromPage`). */
  url: string;
  /** Default: the global WebSocket (browsers, Node >= 22). */
  createSocket?: WebSocketFactory;
  /** Reconnect after an unexpected close (not after a wrong token). Default true. */
  reconnect?: boolean;
}

export interface WsEngineClient extends EngineClient {
  /** Resolves when the first connection is open; rejects if it is refused (e.g. wrong token). */
  readonly ready: Promise<void>;
  readonly status: ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus, detail: string) => void): () => void;
  close(): void;
}

const OPEN = 1;

/** Builds the engine URL from the page the renderer was served at (`http://127.0.0.1:P/?token=T`). */
export function engineUrlFromPage(location: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
}

function defaultFactory(url: string): WebSocketLike {
  const ctor = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!ctor) throw new Error('No WebSocket implementation here: pass createSocket (e.g. from the ws package).');
  return new ctor(url);
}

export function connectWsClient(options: WsClientOptions): WsEngineClient {
  const createSocket = options.createSocket ?? defaultFactory;
  const reconnect = options.reconnect ?? true;
  const statusListeners = new Set<(status: ConnectionStatus, detail: string) => void>();
  let socket: WebSocketLike | null = null;
  let status: ConnectionStatus = 'connecting';
  let queue: Uint8Array[] = [];
  let closedByUser = false;
  let everOpened = false;
  let retryDelayMs = 250;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const rpc = new RpcClient({
    send(message) {
      if (status === 'unauthorized') {
        throw new TransportError({
          code: 'forbidden',
          message: 'The engine refused the access token: open the full URL that `loupe serve` printed.',
        });
      }
      if (status === 'closed') throw new Error('the connection is closed');
      const frame = encodeMessage(message);
      if (socket && socket.readyState === OPEN) socket.send(frame);
      else queue.push(frame); // sent on (re)connect, so calls made during start-up are not lost
    },
  });

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {}); // callers that never await `ready` must not see an unhandled rejection

  const setStatus = (next: ConnectionStatus, detail: string): void => {
    status = next;
    for (const listener of [...statusListeners]) listener(next, detail);
  };

  const open = (): void => {
    const ws = createSocket(options.url);
    socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('open', () => {
      // Open is not yet accepted: the server checks the token after the upgrade and says hello.
      const wasReconnect = everOpened;
      everOpened = true;
      const pending = queue;
      queue = [];
      for (const frame of pending) ws.send(frame);
      if (wasReconnect) {
        // The server (and its engine) may be a new process: loaded models and runs may be gone.
        const event: EngineEvent = {
          type: 'engine.restarted',
          reason: 'The connection to the engine was re-established; reload the model if a call fails.',
        };
        rpc.emit(event);
      }
    });
    ws.addEventListener('message', (event) => {
      const data = event.data;
      if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return; // text frames are not ours
      let message: unknown;
      try {
        message = decodeMessage(data);
      } catch {
        return;
      }
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'hello') {
        retryDelayMs = 250;
        setStatus('open', '');
        resolveReady();
      }
      rpc.receive(message);
    });
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = null;
      if (event.code === WS_CLOSE_UNAUTHORIZED) {
        setStatus('unauthorized', event.reason);
        rpc.failAll({
          code: 'forbidden',
          message: `The engine refused this page: ${event.reason || 'missing or wrong access token'}. Open the URL printed by \`loupe serve\`.`,
        });
        queue = [];
        rejectReady(new Error(event.reason || 'unauthorized'));
        return;
      }
      rpc.failAll({
        code: 'internal',
        message: `The connection to the engine closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''}). Is \`loupe serve\` still running?`,
      });
      if (closedByUser || !reconnect) {
        setStatus('closed', event.reason);
        queue = [];
        rejectReady(new Error(`connection closed (code ${event.code})`));
        return;
      }
      setStatus('reconnecting', `retrying in ${retryDelayMs} ms`);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (!closedByUser) open();
      }, retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, 5000);
    });
    // 'error' is always followed by 'close', which does the work.
    ws.addEventListener('error', () => {});
  };

  open();

  return {
    ready,
    get status() {
      return status;
    },
    call<M extends MethodName>(method: M, params: ParamsOf<M>, callOptions?: CallOptions): Promise<ResultOf<M>> {
      return rpc.call(method, params, callOptions);
    },
    onEvent(listener) {
      return rpc.onEvent(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    close() {
      closedByUser = true;
      if (retryTimer) clearTimeout(retryTimer);
      const ws = socket;
      if (ws) ws.close(1000, 'client closed');
      else setStatus('closed', 'client closed');
    },
  };
}
