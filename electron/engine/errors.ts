// Engine errors. Every error the engine throws on purpose is a LoupeError so that the transports can
// turn it into an EngineErrorPayload without guessing: `code` picks what the UI says, `file` and
// `field` point the researcher at the exact thing to fix.
import type { EngineErrorPayload } from '../contract/api.js';

export type LoupeErrorCode = EngineErrorPayload['code'];

export interface LoupeErrorOptions {
  file?: string;
  field?: string;
  cause?: unknown;
}

export class LoupeError extends Error {
  readonly code: LoupeErrorCode;
  readonly file?: string;
  readonly field?: string;

  constructor(code: LoupeErrorCode, message: string, options: LoupeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LoupeError';
    this.code = code;
    if (options.file !== undefined) this.file = options.file;
    if (options.field !== undefined) this.field = options.field;
  }

  /** The shape that crosses transports (no stack: it may name local paths the peer should not log). */
  toPayload(): EngineErrorPayload {
    const payload: EngineErrorPayload = { code: this.code, message: this.message };
    if (this.file !== undefined) payload.file = this.file;
    if (this.field !== undefined) payload.field = this.field;
    return payload;
  }
}

/** A request that is malformed regardless of files (bad parameter, box outside the image, ...). */
export class BadRequestError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('bad-request', message, options);
    this.name = 'BadRequestError';
  }
}

export class InvalidBenchError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('invalid-bench', message, options);
    this.name = 'InvalidBenchError';
  }
}

export interface InvalidImageOptions extends LoupeErrorOptions {
  /** What is wrong, worded without the image's name ("not a readable image (...)"), for callers that name it their own way. */
  problem?: string;
}

export class InvalidImageError extends LoupeError {
  /** What is wrong without the image's name; the message when none was given. */
  readonly problem: string;

  constructor(message: string, options: InvalidImageOptions = {}) {
    super('invalid-image', message, options);
    this.name = 'InvalidImageError';
    this.problem = options.problem ?? message;
  }
}

export class InvalidModelError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('invalid-model', message, options);
    this.name = 'InvalidModelError';
  }
}

export class CancelledError extends LoupeError {
  constructor(message = 'The operation was cancelled.', options: LoupeErrorOptions = {}) {
    super('cancelled', message, options);
    this.name = 'CancelledError';
  }
}

export class NotFoundError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('not-found', message, options);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('forbidden', message, options);
    this.name = 'ForbiddenError';
  }
}

/** Another process holds the resource (a run folder being written by another `loupe bench` or app). */
export class ConflictError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('conflict', message, options);
    this.name = 'ConflictError';
  }
}

/** Something the installation lacks or cannot start: the engine itself, a provider's libraries. */
export class UnavailableError extends LoupeError {
  constructor(message: string, options: LoupeErrorOptions = {}) {
    super('unavailable', message, options);
    this.name = 'UnavailableError';
  }
}

export function isLoupeError(err: unknown): err is LoupeError {
  return err instanceof LoupeError;
}

/** Any thrown value as a payload: LoupeErrors keep their code, anything else becomes `internal`. */
export function toErrorPayload(err: unknown): EngineErrorPayload {
  if (err instanceof LoupeError) return err.toPayload();
  if (err instanceof Error && err.name === 'AbortError')
    return { code: 'cancelled', message: err.message || 'The operation was cancelled.' };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}

/** Throws CancelledError when the signal has fired: call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
