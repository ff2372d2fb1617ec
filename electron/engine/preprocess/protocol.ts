// Which protocol applies to a request: the request's own choice, else the one the model package names in
// loupe.json (`preprocessing.protocol`: the bundled students name `hf`, the checkpoint's own processor
// budget they were trained at), else `paper`, the chain whose numbers the paper reports.
import type { PreprocessChoice, PreprocessProtocol } from '../../contract/types.js';
import { DEFAULT_PROTOCOL } from './pipeline.js';

export function packageProtocol(manifest: Record<string, unknown> | undefined): PreprocessProtocol | undefined {
  const pre = manifest?.['preprocessing'];
  if (typeof pre !== 'object' || pre === null) return undefined;
  const p = (pre as Record<string, unknown>)['protocol'];
  return p === 'paper' || p === 'hf' ? p : undefined;
}

export function resolveProtocol(choice: PreprocessChoice | undefined, manifest: Record<string, unknown> | undefined): PreprocessProtocol {
  return choice?.protocol ?? packageProtocol(manifest) ?? DEFAULT_PROTOCOL;
}

/** The choice with its protocol settled, as results, run specs and the settings hash record it. */
export function settleChoice(
  choice: PreprocessChoice | undefined,
  manifest: Record<string, unknown> | undefined,
): PreprocessChoice & { protocol: PreprocessProtocol } {
  const out: PreprocessChoice & { protocol: PreprocessProtocol } = { protocol: resolveProtocol(choice, manifest) };
  if (choice?.maxPixels !== undefined) out.maxPixels = choice.maxPixels;
  return out;
}
