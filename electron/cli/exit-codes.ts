// Exit codes of the `loupe` CLI (documented in docs/cli.md). Scripts on a cluster branch on these:
// e.g. 3/4/5 mean "fix the input and resubmit", 130 means "interrupted; run the same command to resume".
import type { EngineErrorPayload } from '../contract/api.js';

export const EXIT = {
  ok: 0,
  /** A bug or an engine crash: report it with the message. */
  internal: 1,
  /** Bad command line (unknown command or option, malformed --box, ...). */
  usage: 2,
  /** A file, folder, model, benchmark or run that does not exist. */
  notFound: 3,
  /** The model folder is not a usable model package (missing files, configs, attention taps). */
  invalidModel: 4,
  /** The image or benchmark cannot be read (bad image, bad rows in every item, ...). */
  invalidInput: 5,
  /** The command finished but some items failed (bench): results are saved, see the error column. */
  partial: 6,
  /** The engine could not start (e.g. onnxruntime-node binary missing) or a needed part is not installed. */
  unavailable: 7,
  /** Another process is writing the same run folder: wait for it, or stop it (stale locks are taken over). */
  busy: 8,
  /** Interrupted (Ctrl-C): finished items are saved; the same command resumes. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(code: EngineErrorPayload['code']): ExitCode {
  switch (code) {
    case 'bad-request':
      return EXIT.usage;
    case 'not-found':
      return EXIT.notFound;
    case 'invalid-model':
      return EXIT.invalidModel;
    case 'invalid-image':
    case 'invalid-bench':
      return EXIT.invalidInput;
    case 'cancelled':
      return EXIT.interrupted;
    case 'conflict':
      return EXIT.busy;
    case 'unavailable':
      return EXIT.unavailable;
    case 'forbidden':
    case 'internal':
      return EXIT.internal;
  }
}

/** An error the CLI raises itself, with the exit code it should end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);
