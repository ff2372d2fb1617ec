// Messages between the engine supervisor (main process / CLI) and the engine entry (worker thread or
// Electron utility process), on top of the RPC messages of transport/wire-protocol.ts. These channels
// use structured clone, so typed arrays cross as they are and no codec is needed.
import type { ClientMessage, ServerMessage } from '../transport/wire-protocol.js';

/** Options handed to the engine host's constructor (resources folder, runs folder, ...). */
export type EngineHostOptions = Record<string, unknown>;

/** First message to a fresh engine: what to load. */
export interface InitMessage {
  type: 'init';
  /** Module URL exporting `createEngineHost(options)` or `EngineHost`; default: the real engine host. */
  hostModule?: string;
  options: EngineHostOptions;
}

/** The engine could not start (a load error would repeat on every restart, so the supervisor gives up). */
export interface FatalMessage {
  type: 'fatal';
  message: string;
}

export type ToEngine = InitMessage | ClientMessage;
export type FromEngine = ServerMessage | FatalMessage;

/** A running engine as the supervisor sees it: a worker thread or a utility process. */
export interface EngineChannel {
  post(message: ToEngine): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the engine stops, for whatever reason, with a human-readable detail. */
  onExit(listener: (detail: string) => void): void;
  terminate(): Promise<void>;
}

export type ChannelFactory = () => EngineChannel;
