// The client half of the engine protocol, independent of the channel: request ids, pending promises,
// AbortSignal -> cancel message, and event fan-out. The WebSocket client, the Electron bridge client
// and the worker supervisor all wrap this. Browser-safe: no Node imports.
import type { CallOptions, EngineClient, EngineErrorPayload, EngineEvent, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import type { ClientMessage, RequestId } from './wire-protocol.js';
import { parseServerMessage } from './wire-protocol.js';

/** A failed engine call. `code` is the contract's error code so the UI can choose what to say. */
export class EngineCallError extends Error {
  readonly code: EngineErrorPayload['code'];
  readonly file?: string;
  readonly field?: string;
  readonly method: MethodName;

  constructor(method: MethodName, payload: EngineErrorPayload) {
    super(payload.message);
    this.name = 'EngineCallError';
    this.method = method;
    this.code = payload.code;
    if (payload.file !== undefined) this.file = payload.file;
    if (payload.field !== undefined) this.field = payload.field;
  }

  toPayload(): EngineErrorPayload {
    const payload: EngineErrorPayload = { code: this.code, message: this.message };
    if (this.file !== undefined) payload.file = this.file;
    if (this.field !== undefined) payload.field = this.field;
    return payload;
  }
}

/** Thrown by a transport's `send` to fail a call with a specific contract code (e.g. `forbidden`). */
export class TransportError extends Error {
  constructor(readonly payload: EngineErrorPayload) {
    super(payload.message);
    this.name = 'TransportError';
  }
}

interface Pending {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

export interface RpcClientOptions {
  /** Sends a message to the engine side. Throwing means "not connected": the call fails at once. */
  send: (message: ClientMessage) => void;
  /** Called for malformed messages from the peer (version skew); default: ignored. */
  onProtocolError?: (reason: string) => void;
}

export class RpcClient implements EngineClient {
  private nextId: RequestId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly listeners = new Set<(event: EngineEvent) => void>();

  constructor(private readonly options: RpcClientOptions) {}

  call<M extends MethodName>(method: M, params: ParamsOf<M>, options: CallOptions = {}): Promise<ResultOf<M>> {
    const { signal } = options;
    if (signal?.aborted)
      return Promise.reject(new EngineCallError(method, { code: 'cancelled', message: `${method} was cancelled before it started.` }));
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const onAbort = (): void => {
        // Reject now so the UI is responsive; the engine is told to stop and its late reply is dropped.
        this.settle(id, { ok: false, error: { code: 'cancelled', message: `${method} was cancelled.` } });
        try {
          this.options.send({ type: 'cancel', id });
        } catch {
          // Disconnected: nothing to cancel on the other side any more.
        }
      };
      this.pending.set(id, {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.options.send({ type: 'request', id, method, params });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const error: EngineErrorPayload =
          err instanceof TransportError ? err.payload : { code: 'internal', message: `Could not reach the engine: ${message}` };
        this.settle(id, { ok: false, error });
      }
    });
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feed every message that arrives from the engine side. */
  receive(raw: unknown): void {
    const message = parseServerMessage(raw);
    if (typeof message === 'string') {
      this.options.onProtocolError?.(message);
      return;
    }
    if (message.type === 'hello') return; // the transport wrapper watches for it
    if (message.type === 'event') {
      this.emit(message.event);
      return;
    }
    this.settle(message.id, message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
  }

  /** Emits an event to local listeners (also used for events the transport itself produces). */
  emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One broken listener must not starve the others.
      }
    }
  }

  /** Fails every in-flight call, e.g. when the connection drops or the engine process dies. */
  failAll(error: EngineErrorPayload): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private settle(id: RequestId, outcome: { ok: true; result: unknown } | { ok: false; error: EngineErrorPayload }): void {
    const pending = this.pending.get(id);
    if (!pending) return; // late reply to a cancelled call
    this.pending.delete(id);
    pending.cleanup();
    if (outcome.ok) pending.resolve(outcome.result);
    else pending.reject(new EngineCallError(pending.method, outcome.error));
  }
}
