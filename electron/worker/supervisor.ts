// Keeps one engine (worker thread or utility process) alive and presents it as an EngineHandler.
// When the engine dies (a native crash in onnxruntime, out of memory, an uncaught error), the calls in
// flight fail with a message that says so, a fresh engine starts, and listeners get `engine.restarted`.
// An engine that cannot even start (bad install) is not restarted in a loop: calls fail with the reason.
import type { EngineErrorPayload, EngineEvent, EngineHandler, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import { EngineCallError, RpcClient } from '../transport/rpc-client.js';
import type { ChannelFactory, EngineChannel, EngineHostOptions } from './messages.js';

export interface SupervisorOptions {
  channel: ChannelFactory;
  /** Module URL of the engine host (tests use a double); default: the real engine host. */
  hostModule?: string;
  hostOptions?: EngineHostOptions;
  /** Give up after this many crashes within `crashWindowMs` (default 3 in 60 s). */
  maxCrashes?: number;
  crashWindowMs?: number;
}

interface Generation {
  channel: EngineChannel;
  rpc: RpcClient;
  ready: Promise<void>;
}

export class SupervisedEngine implements EngineHandler {
  private generation: Generation | null = null;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private crashTimes: number[] = [];
  private failure: EngineErrorPayload | null = null;
  private disposed = false;
  /** How many times the engine was restarted after a crash (for status displays and tests). */
  restarts = 0;

  constructor(private readonly options: SupervisorOptions) {}

  /** Starts the engine now instead of on the first call; resolves when it is ready. */
  async start(): Promise<void> {
    await this.current().ready;
  }

  async handle<M extends MethodName>(method: M, params: ParamsOf<M>, signal: AbortSignal): Promise<ResultOf<M>> {
    const generation = this.current();
    await generation.ready;
    return generation.rpc.call(method, params, { signal });
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const generation = this.generation;
    this.generation = null;
    if (!generation) return;
    generation.rpc.failAll({ code: 'cancelled', message: 'The engine was shut down.' });
    await generation.channel.terminate();
  }

  private emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A broken listener must not break the engine.
      }
    }
  }

  private current(): Generation {
    if (this.failure) throw new EngineCallError('engine.info', this.failure);
    if (this.disposed) throw new EngineCallError('engine.info', { code: 'internal', message: 'The engine was shut down.' });
    this.generation ??= this.spawn();
    return this.generation;
  }

  private spawn(): Generation {
    const channel = this.options.channel();
    const rpc = new RpcClient({ send: (message) => channel.post(message) });
    rpc.onEvent((event) => this.emit(event));
    let markReady!: () => void;
    let markFailed!: (error: EngineCallError) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {}); // observed by callers; a start with no caller must not be "unhandled"
    const generation: Generation = { channel, rpc, ready };

    channel.onMessage((message) => {
      const type = (message as { type?: unknown }).type;
      if (type === 'hello') return markReady();
      if (type === 'fatal') {
        // Starting again would fail the same way: stop and tell every caller why.
        this.failure = { code: 'unavailable', message: String((message as { message?: unknown }).message) };
        markFailed(new EngineCallError('engine.info', this.failure));
        rpc.failAll(this.failure);
        this.generation = null;
        void channel.terminate();
        return;
      }
      rpc.receive(message);
    });
    channel.onExit((detail) => this.onExit(generation, detail, markFailed));
    channel.post({
      type: 'init',
      options: this.options.hostOptions ?? {},
      ...(this.options.hostModule ? { hostModule: this.options.hostModule } : {}),
    });
    return generation;
  }

  private onExit(generation: Generation, detail: string, markFailed: (error: EngineCallError) => void): void {
    if (this.generation !== generation || this.disposed) return; // an engine we stopped on purpose
    this.generation = null;
    const lost: EngineErrorPayload = {
      code: 'internal',
      message: `The engine stopped while this call was running (${detail}). A fresh engine has been started: run the call again.`,
    };
    markFailed(new EngineCallError('engine.info', lost));
    generation.rpc.failAll(lost);

    const now = Date.now();
    const window = this.options.crashWindowMs ?? 60_000;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < window), now];
    if (this.crashTimes.length > (this.options.maxCrashes ?? 3)) {
      this.failure = {
        code: 'internal',
        message: `The engine crashed ${this.crashTimes.length} times within ${Math.round(window / 1000)} s; it is not restarted again. Last reason: ${detail}`,
      };
      this.emit({ type: 'engine.log', level: 'error', message: this.failure.message });
      return;
    }
    this.restarts += 1;
    this.generation = this.spawn();
    this.emit({ type: 'engine.restarted', reason: detail });
  }
}
