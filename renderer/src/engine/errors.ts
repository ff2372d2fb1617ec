// Turns whatever a call rejected with into a message that tells the researcher what to do next.
import type { EngineErrorPayload } from '../../../electron/contract/api.js';

const HINTS: Record<EngineErrorPayload['code'], string> = {
  'bad-request': 'Check the inputs (question, box, model) and try again.',
  'not-found': 'The file or item is gone: reopen it from the toolbar.',
  'invalid-model': 'Open a model folder that has config.json, the three ONNX files and attention taps (see docs).',
  'invalid-image': 'Open a JPEG, PNG or WebP image.',
  'invalid-bench': 'Open a ZoomBench parquet (data/test.parquet) or converted JSON file.',
  cancelled: 'Cancelled.',
  conflict: 'Another Loupe process (the CLI or a second window) is writing this run: wait for it to finish, or stop it.',
  unavailable: 'Part of the installation is missing: the message says what to install; `loupe doctor` lists what can run here.',
  forbidden: 'Web mode only reads what `loupe serve` was given (--model, --bench, --allow) and needs the URL it printed (with the token).',
  internal: 'The engine hit an internal error; see the log, then retry.',
};

export interface UiError {
  message: string;
  hint: string;
  code?: EngineErrorPayload['code'];
  file?: string;
  field?: string;
}

function isPayload(e: unknown): e is EngineErrorPayload {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e && typeof (e as { code: unknown }).code === 'string';
}

export function toUiError(e: unknown): UiError {
  if (isPayload(e)) {
    const code = e.code in HINTS ? e.code : 'internal';
    return { message: e.message, hint: HINTS[code], code, file: e.file, field: e.field };
  }
  if (e instanceof DOMException && e.name === 'AbortError') return { message: 'Cancelled.', hint: '', code: 'cancelled' };
  const message = e instanceof Error ? e.message : String(e);
  return { message, hint: 'If the engine is not running, restart Loupe.' };
}

export function isCancelled(e: unknown): boolean {
  return toUiError(e).code === 'cancelled';
}
