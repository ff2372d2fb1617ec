// What a command may touch of the outside world, injectable so tests can run commands in-process.
import type { EngineClient, EngineHandler } from '../contract/api.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: draw a live progress bar instead of periodic lines. */
  isTTY: boolean;
  columns: number;
  cwd: string;
  env: Record<string, string | undefined>;
}

export interface EngineSession {
  client: EngineClient;
  /** The same engine as a handler, for the web server. */
  handler: EngineHandler;
  dispose(): Promise<void>;
}

export interface EngineSessionOptions {
  resourcesDir?: string;
  runsDir?: string;
  /** The command's --max-pixels: the memory guard plans the model's load for it (LOUPE_MAX_PIXELS otherwise). */
  maxPixels?: number;
}

export interface CliContext {
  io: CliIo;
  /** Starts an engine (a worker thread by default; tests pass a double). */
  openEngine(options: EngineSessionOptions): Promise<EngineSession>;
  /** Fires on Ctrl-C (SIGINT/SIGTERM). */
  signal: AbortSignal;
}

export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
    cwd: process.cwd(),
    env: process.env,
  };
}
