// `loupe tap`: adds `decoder_attentions.N` outputs to an existing ONNX decoder. The command lives in
// electron/tap/ (another module); this only routes to it, loaded lazily so the other commands do not
// pay for onnx-proto/protobufjs. (A literal specifier, so the esbuild bundle includes it.)
import { CliError, EXIT } from '../exit-codes.js';
import type { CliContext } from '../io.js';

export async function runTapCommand(argv: string[], _ctx: CliContext): Promise<number> {
  let runTap: (argv: string[]) => Promise<number>;
  try {
    ({ runTap } = await import('../../tap/index.js'));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`loupe tap is not available in this build (${message}).`, EXIT.unavailable);
  }
  return runTap(argv);
}
