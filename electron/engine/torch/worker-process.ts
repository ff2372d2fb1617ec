// The PyTorch worker process (python -m loupe_worker, in the project's venv) and its supervision: one
// request at a time over stdio frames (wire.ts). A worker that dies is reported with its cause (a signal
// such as SIGKILL from the kernel's out-of-memory killer, or an exit code with the last lines it wrote to
// stderr), every request in flight fails with that message, and the next request starts a fresh worker
// (TorchRuntime reloads the model into it), so a batch run records the failed item and goes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, LoupeError, UnavailableError, type LoupeErrorCode } from '../errors.js';
import { FrameReader, encodeFrame, type Blob, type Frame } from './wire.js';

const STDERR_LINES = 20;

/** Walks up from this file to the folder holding package.json (a source checkout or the app bundle). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

export interface PythonLocation {
  python: string;
  nativeModels: string;
  /** Where the python path came from, for messages. */
  source: string;
}

/** LOUPE_PYTHON, else LOUPE_VENV/bin/python, else <project>/.venv/bin/python (native-models/setup-venv.sh). */
export function locatePython(env: NodeJS.ProcessEnv = process.env): PythonLocation {
  const root = projectRoot();
  const nativeModels = env['LOUPE_NATIVE_MODELS'] ?? join(root, 'native-models');
  if (env['LOUPE_PYTHON']) return { python: env['LOUPE_PYTHON'], nativeModels, source: 'LOUPE_PYTHON' };
  const venv = env['LOUPE_VENV'] ?? join(root, '.venv');
  return { python: join(venv, 'bin', 'python'), nativeModels, source: env['LOUPE_VENV'] ? 'LOUPE_VENV' : 'the project venv' };
}

export interface WorkerEnv {
  python: string;
  torch?: string;
  transformers?: string;
  cuda?: {
    available: boolean;
    builtFor: string | null;
    cudnn: number | null;
    devices: { name: string; totalBytes: number; freeBytes: number }[];
    why?: string;
  };
  missing: string[];
}

interface Pending {
  method: string;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
}

const CODES: LoupeErrorCode[] = ['bad-request', 'not-found', 'invalid-model', 'invalid-image', 'unavailable', 'internal'];

function workerError(payload: Record<string, unknown>): LoupeError {
  const code = CODES.includes(payload['code'] as LoupeErrorCode) ? (payload['code'] as LoupeErrorCode) : 'internal';
  const opts: { file?: string; field?: string } = {};
  if (typeof payload['file'] === 'string') opts.file = payload['file'];
  if (typeof payload['field'] === 'string') opts.field = payload['field'];
  return new LoupeError(code, `PyTorch worker: ${String(payload['message'])}`, opts);
}

/** Why a worker ended, in words a researcher can act on. */
export function deathCause(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): string {
  const tail = stderrTail.trim() ? `\nLast lines it wrote:\n${stderrTail.trim()}` : '';
  if (signal === 'SIGKILL')
    return `it was killed with SIGKILL, on Linux almost always the kernel's out-of-memory killer (see \`dmesg\`): lower the pixel budget (--max-pixels), use --dtype bf16, or run on a machine with more memory${tail}`;
  if (signal) return `it was ended by ${signal}${tail}`;
  return `it exited with code ${code ?? '?'}${tail}`;
}

export class TorchWorker {
  private child: ChildProcess | null = null;
  private reader = new FrameReader();
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail: string[] = [];
  private starting: Promise<WorkerEnv> | null = null;
  /** Why earlier workers died, oldest first (the runtime reports them). */
  readonly deaths: string[] = [];

  constructor(
    private readonly where: PythonLocation,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (once) and resolves with its environment when it says it is ready. */
  start(): Promise<WorkerEnv> {
    if (this.starting && this.alive) return this.starting;
    const { python, nativeModels } = this.where;
    if (!existsSync(python)) {
      return Promise.reject(
        new UnavailableError(
          `The PyTorch engine needs Python at ${python} (${this.where.source}), which does not exist: run native-models/setup-venv.sh, or set LOUPE_VENV to a venv with torch and transformers.`,
          { field: 'python' },
        ),
      );
    }
    this.reader = new FrameReader();
    this.stderrTail = [];
    const child = spawn(python, ['-m', 'loupe_worker'], {
      cwd: nativeModels,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONPATH: nativeModels, TOKENIZERS_PARALLELISM: 'false' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starting = new Promise<WorkerEnv>((resolve, reject) => {
      let ready = false;
      child.stdout.on('data', (chunk: Buffer) => {
        for (const frame of this.reader.push(chunk)) {
          const type = frame.header['type'];
          if (type === 'ready') {
            ready = true;
            resolve(frame.header['env'] as WorkerEnv);
          } else if (type === 'fatal') {
            reject(new UnavailableError(`The PyTorch worker cannot start: ${String(frame.header['message'])}`, { field: 'python' }));
          } else this.settle(frame);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          this.stderrTail.push(line);
          if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
          this.log(line);
        }
      });
      child.on('error', (err) => reject(new UnavailableError(`The PyTorch worker could not be started with ${python}: ${err.message}`)));
      child.on('exit', (code, signal) => {
        const cause = deathCause(code, signal, this.stderrTail.join('\n'));
        if (!ready)
          reject(
            new UnavailableError(`The PyTorch worker (${python} -m loupe_worker in ${nativeModels}) stopped before it was ready: ${cause}`),
          );
        if (this.child === child) this.child = null;
        if (this.pending.size > 0) this.deaths.push(cause);
        for (const [, p] of this.pending) p.reject(new UnavailableError(`The PyTorch worker died while running ${p.method}: ${cause}`));
        this.pending.clear();
      });
    });
    return this.starting;
  }

  private settle(frame: Frame): void {
    const id = Number(frame.header['id']);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (frame.header['type'] === 'error') p.reject(workerError(frame.header['error'] as Record<string, unknown>));
    else p.resolve(frame);
  }

  /** Sends one request. Aborting kills the worker (a forward pass cannot be interrupted); the next call starts a new one. */
  async call(method: string, params: Record<string, unknown>, blobs: Record<string, Blob> = {}, signal?: AbortSignal): Promise<Frame> {
    await this.start();
    const child = this.child;
    if (!child?.stdin) throw new UnavailableError('The PyTorch worker is not running.');
    if (signal?.aborted) throw new CancelledError();
    const id = this.nextId++;
    const done = new Promise<Frame>((resolve, reject) => this.pending.set(id, { method, resolve, reject }));
    const onAbort = (): void => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.reject(new CancelledError());
      this.kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdin.write(encodeFrame({ id, method, params }, blobs));
    try {
      return await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child?.kill(signal);
  }

  /** Asks the worker to exit and waits for it (kills it after `graceMs`). */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
