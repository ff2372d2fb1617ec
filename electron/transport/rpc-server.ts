// The engine-facing half of the protocol, independent of the channel: validates messages from an
// untrusted peer, runs them on an EngineHandler with one AbortController per request, answers, and
// forwards engine events. Used by the WebSocket server, Electron's ipc-main and the engine worker.
import type { EngineErrorPayload, EngineHandler } from '../contract/api.js';
import { toErrorPayload } from '../engine/errors.js';
import { EngineCallError } from './rpc-client.js';
import type { RequestId, ServerMessage } from './wire-protocol.js';
import { parseClientMessage } from './wire-protocol.js';

export interface RpcServerOptions {
  /** Delivers a message to the peer. May throw when the peer is gone; the error is swallowed. */
  send: (message: ServerMessage) => void;
  /** Forward engine events to this peer. Default true. */
  forwardEvents?: boolean;
  /** Called for messages that fail validation, with the reason (for logs). */
  onProtocolError?: (reason: string) => void;
}

export interface RpcServer {
  /** Feed every message that arrives from the peer. */
  receive(raw: unknown): void;
  /** The peer went away: abort its in-flight requests and stop forwarding events. */
  close(): void;
}

/** Errors relayed from another process (the engine worker) keep their code instead of becoming `internal`. */
function errorPayload(err: unknown): EngineErrorPayload {
  return err instanceof EngineCallError ? err.toPayload() : toErrorPayload(err);
}

export function createRpcServer(handler: EngineHandler, options: RpcServerOptions): RpcServer {
  const inFlight = new Map<RequestId, AbortController>();
  let closed = false;

  const send = (message: ServerMessage): void => {
    if (closed) return;
    try {
      options.send(message);
    } catch {
      // Peer gone; close() will follow from the transport.
    }
  };
  const fail = (id: RequestId, error: EngineErrorPayload): void => send({ type: 'response', id, ok: false, error });

  const unsubscribe = options.forwardEvents === false ? () => {} : handler.onEvent((event) => send({ type: 'event', event }));

  return {
    receive(raw) {
      if (closed) return;
      const message = parseClientMessage(raw);
      if (typeof message === 'string') {
        options.onProtocolError?.(message);
        const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
        if (typeof id === 'number' && Number.isSafeInteger(id))
          fail(id, { code: 'bad-request', message: `Malformed request: ${message}.` });
        return;
      }
      if (message.type === 'cancel') {
        inFlight.get(message.id)?.abort();
        return;
      }
      const { id, method, params } = message;
      if (inFlight.has(id)) {
        fail(id, { code: 'bad-request', message: `Request id ${id} is already in use by a running call.` });
        return;
      }
      const controller = new AbortController();
      inFlight.set(id, controller);
      // The handler validates the params' content; the protocol layer only guarantees an object.
      Promise.resolve()
        .then(() => handler.handle(method, params as never, controller.signal))
        .then(
          (result) => send({ type: 'response', id, ok: true, result }),
          (err: unknown) =>
            fail(id, controller.signal.aborted ? { code: 'cancelled', message: `${method} was cancelled.` } : errorPayload(err)),
        )
        .finally(() => inFlight.delete(id));
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const controller of inFlight.values()) controller.abort();
      inFlight.clear();
    },
  };
}
