// `loupe tap`: adds `decoder_attentions.N` outputs to an existing ONNX decoder. The command lives in
// electron/tap/ (another module); this only routes to it, loaded lazily so the rest of the CLI does
// not pay for onnx-proto/protobufjs.
import { CliError, EXIT } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { moduleExt } from '../../worker/source-ext.js';

interface TapModule {
  runTap(argv: string[]): Promise<number | void> | number | void;
}

export async function runTapCommand(argv: string[], _ctx: CliContext): Promise<number> {
  const ext = moduleExt(import.meta.url);
  const specifier = new URL(`../../tap/index${ext}`, import.meta.url).href;
  let mod: TapModule;
  try {
    mod = (await import(specifier)) as TapModule;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`loupe tap is not available in this build (${message}).`, EXIT.unavailable);
  }
  const code = await mod.runTap(argv);
  return typeof code === 'number' ? code : EXIT.ok;
}
