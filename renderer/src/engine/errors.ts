// Turns whatever a call rejected with into a message that tells the researcher what to do next. The
// engine's messages already name the file, row, column or field; a hint is added only where it says
// something the message does not, and it follows the field at fault (a provider failure is not about
// "the inputs").
import type { EngineErrorPayload } from '../../../electron/contract/api.js';

type Code = EngineErrorPayload['code'];

const HINTS: Partial<Record<Code, string>> = {
  'not-found': 'The file or item is gone: reopen it.',
  'invalid-model': 'Open a model folder that has config.json, the three ONNX files and attention taps (docs/model-packages.md).',
  'invalid-bench': 'Open a ZoomBench parquet (data/test.parquet) or converted JSON file.',
  conflict: 'Another Loupe process (the CLI or a second window) is writing this run: wait for it to finish, or stop it.',
  unavailable: 'Part of the installation is missing: the message says what to install; `loupe doctor` lists what can run here.',
  forbidden: 'Web mode only reads what `loupe serve` was given (--model, --bench, --allow) and needs the URL it printed (with the token).',
  internal: 'The engine hit an internal error; see the engine log (bottom of the window), then retry.',
};

/** Hints for bad requests, by the field the engine names. */
const FIELD_HINTS: Record<string, string> = {
  provider: 'Choose cpu (always available) or auto; `loupe doctor` lists the providers this machine can run.',
  box: 'Fix the key box: [x1, y1, x2, y2] inside the image, with x1 < x2 and y1 < y2.',
  bbox: 'Fix the key box: [x1, y1, x2, y2] inside the image, with x1 < x2 and y1 < y2.',
  question: 'Type a question.',
  maxNewTokens: 'Use a token budget between 1 and 256.',
};

export interface UiError {
  message: string;
  /** What to do about it; empty when the message says it already. */
  hint: string;
  code?: Code;
  file?: string;
  field?: string;
}

function isPayload(e: unknown): e is EngineErrorPayload {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e && typeof (e as { code: unknown }).code === 'string';
}

function hintFor(code: Code, field?: string): string {
  if (code === 'bad-request') return (field && FIELD_HINTS[field.split('.')[0]]) || '';
  return HINTS[code] ?? '';
}

export function toUiError(e: unknown): UiError {
  if (isPayload(e)) {
    return { message: e.message, hint: hintFor(e.code, e.field), code: e.code, file: e.file, field: e.field };
  }
  if (e instanceof DOMException && e.name === 'AbortError') return { message: 'Cancelled.', hint: '', code: 'cancelled' };
  const message = e instanceof Error ? e.message : String(e);
  return { message, hint: 'If the engine is not running, restart Loupe.' };
}

export function isCancelled(e: unknown): boolean {
  return toUiError(e).code === 'cancelled';
}
