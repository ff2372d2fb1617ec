// Execution-provider choice. onnxruntime-node does not fall back by itself: a session created with
// ['cuda', 'cpu'] may place some nodes on CPU silently, and one created with ['cuda'] simply fails when the
// CUDA libraries are absent. So on `auto` each GPU provider gets its own, solitary attempt (all three
// sessions must be created on it), and the first that works wins; CPU is the last resort. What failed
// and why is kept for LoadedModel.providerAttempts, so the UI can say why a GPU was not used.
import ort from 'onnxruntime-node';
import type { LoadedModel, ProviderChoice, ProviderName } from '../../contract/types.js';
import { BadRequestError, InvalidModelError, throwIfAborted } from '../errors.js';
import { checkProvider } from './provider-check.js';

// Environment-level messages (a provider library that fails to load) would go to stderr in
// onnxruntime's own format; every failure reaches the user through providerAttempts instead.
ort.env.logLevel = 'fatal';

export type Attempt = LoadedModel['providerAttempts'][number];

export const AUTO_ORDER: ProviderName[] = ['webgpu', 'cuda', 'cpu'];

export interface SessionSet<K extends string> {
  provider: ProviderName;
  sessions: Record<K, ort.InferenceSession>;
  attempts: Attempt[];
}

export function sessionOptions(provider: ProviderName): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // A failed GPU attempt is reported through providerAttempts; keep onnxruntime from also printing it.
    logSeverityLevel: provider === 'cpu' ? 3 : 4,
    // onnxruntime's thread pools spin-wait between ops by default. Loupe's sessions run small ops back
    // to back while the UI, the store and sharp share the same cores: on 2 cores spinning made the
    // bundled student's item 42 ms instead of 28 ms (vision 8.7 vs 5.1, prefill 25.2 vs 15.8 ms), and on
    // a loaded machine far worse. Sleeping workers cost little on many-core machines.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

async function releaseAll(sessions: Iterable<ort.InferenceSession>): Promise<void> {
  for (const s of sessions) {
    try {
      await s.release();
    } catch {
      // Releasing a half-created set after a failure: nothing more to do.
    }
  }
}

/** Creates every session on one provider, or none (what was created is released on failure). */
export async function createOnProvider<K extends string>(
  files: Record<K, string>,
  provider: ProviderName,
): Promise<Record<K, ort.InferenceSession>> {
  const created = new Map<K, ort.InferenceSession>();
  for (const key of Object.keys(files) as K[]) {
    try {
      created.set(key, await ort.InferenceSession.create(files[key], sessionOptions(provider)));
    } catch (err) {
      await releaseAll(created.values());
      throw new SessionCreateError(files[key], err);
    }
  }
  return Object.fromEntries(created) as Record<K, ort.InferenceSession>;
}

/** Which file a provider could not create a session for. */
export class SessionCreateError extends Error {
  constructor(
    readonly file: string,
    readonly original: unknown,
  ) {
    super(shortError(original));
    this.name = 'SessionCreateError';
  }
}

function shortError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // onnxruntime prefixes messages with source locations; keep the part a person can act on.
  const tail = msg.split(/\r?\n/)[0].replace(/^\/onnxruntime_src\/\S+\s+/, '');
  return tail.length > 400 ? `${tail.slice(0, 400)}...` : tail;
}

/** Providers to try for a choice, in order. */
export function providerOrder(choice: ProviderChoice): ProviderName[] {
  return choice === 'auto' ? AUTO_ORDER : [choice];
}

/**
 * Creates the sessions on the first provider that works. An explicit choice is honoured: if it fails the
 * load fails (with the reason) rather than silently running somewhere else.
 */
export async function createSessions<K extends string>(
  files: Record<K, string>,
  choice: ProviderChoice,
  signal?: AbortSignal,
): Promise<SessionSet<K>> {
  const attempts: Attempt[] = [];
  let lastError: unknown;
  for (const provider of providerOrder(choice)) {
    throwIfAborted(signal);
    // A provider whose libraries are missing is not tried at all (trying prints native errors).
    const check = checkProvider(provider);
    if (!check.usable) {
      attempts.push({ provider, ok: false, error: `${check.reason}.${check.fix ? ` ${check.fix}` : ''}` });
      continue;
    }
    try {
      const sessions = await createOnProvider(files, provider);
      attempts.push({ provider, ok: true });
      return { provider, sessions, attempts };
    } catch (err) {
      lastError = err;
      const message = shortError(err);
      attempts.push({ provider, ok: false, error: /[.!]$/.test(message) ? message : `${message}.` });
    }
  }
  const detail = attempts.map((a) => `${a.provider}: ${a.error ?? 'failed'}`).join('; ');
  // CPU always exists: if it failed too, the file is at fault, not the machine.
  if (lastError instanceof SessionCreateError && attempts.at(-1)?.provider === 'cpu') {
    throw new InvalidModelError(`onnxruntime could not load ${lastError.file}: ${lastError.message}`, {
      file: lastError.file,
      cause: lastError.original,
    });
  }
  throw new BadRequestError(
    choice === 'auto'
      ? `No execution provider could run this model (${detail}).`
      : `The ${choice} execution provider cannot run here: ${attempts[0]?.error ?? 'it failed'} Or choose auto or cpu.`,
    { field: 'provider' },
  );
}
