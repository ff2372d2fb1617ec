// `loupe tap MODEL_DIR`: the command-line face of tap.ts. The `loupe` CLI routes `tap` here.
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { isLoupeError } from '../engine/errors.js';
import { EXIT, exitCodeFor } from '../cli/exit-codes.js';
import { tapModel, type TapOptions, type TapResult } from './tap.js';
import { runHiddenStates } from './hidden-states-cli.js';

export { addTaps, assertTappable, inspectDecoder, tapModel, FUSED_ATTENTION_OPS, TAP_PREFIX } from './tap.js';
export type { AttentionSoftmax, DecoderInspection, TapOptions, TapResult } from './tap.js';

export const TAP_USAGE = `Usage: loupe tap MODEL_DIR [--out NEW_DIR] [--decoder FILE] [--force] [--json]
       loupe tap DECODER.onnx [--out NEW_FILE.onnx] [--layers N]

Adds decoder_attentions.N outputs (the last query row of each layer's softmax, [batch, heads, 1, length])
to an ONNX decoder. Decomposed attention (MatMul -> Softmax -> MatMul): a slice of that softmax. Fused
GroupQueryAttention / MultiHeadAttention with a KV cache: a separate softmax(q_last K^T / sqrt(d)) beside
each node, O(length) per head. The original is not modified.

  MODEL_DIR          a model package (transformers.js Qwen-VL layout); its decoder is onnx/decoder_model_merged.onnx
  --out NEW_DIR      write a complete new package there (configs copied, large weights hard-linked when possible)
                     whose onnx/decoder_model_merged.onnx is the tapped decoder, and a loupe.json listing the taps.
                     Without --out: writes onnx/decoder_model_merged.tapped.onnx beside the original.
  --decoder FILE     tap another decoder file of the package (e.g. decoder_model_merged.notap.onnx)
  --layers N         number of decoder layers when tapping a lone .onnx file (no config.json to read)
  --force            replace an existing output
  --json             print the result as JSON
  --hidden-states    instead: add the output decoder_hidden_states (the final normalised hidden states of
                     every position, float32 [batch, seq, hidden]) that activation maps need, to the
                     package's decoder IN PLACE (docs/metrics.md "Activation maps")

Other fused attention operators (Attention, PackedAttention, GQA with do_rotary = 1, ...) cannot be tapped:
re-export the checkpoint with python native-models/export_checkpoint.py CHECKPOINT_DIR OUT_DIR
(docs/bring-your-own-model.md).

Exit status: 0 written (or already tapped), 2 bad arguments, 3 not found, 4 the decoder cannot be tapped, 1 other errors.`;

export interface TapIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: TapIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function describe(result: TapResult): string {
  const rel = (p: string) => relative(process.cwd(), p) || p;
  if (result.alreadyTapped) {
    return `${rel(result.source)} already has ${result.taps.length} attention taps (${result.taps[0]} ...); nothing written.\n`;
  }
  const lines = [
    `Tapped ${result.taps.length} layers of ${rel(result.source)} (attention nodes ${result.softmaxNodes[0]} ... ${result.softmaxNodes.at(-1)}).`,
    `Wrote ${rel(result.output)} (${(result.bytes / 1e6).toFixed(1)} MB); the original is unchanged.`,
  ];
  if (result.packageDir) lines.push(`Open the new package with Loupe: ${rel(result.packageDir)}`);
  else lines.push('To use it, make it the package decoder (or run again with --out NEW_DIR to get a complete package).');
  return lines.join('\n') + '\n';
}

/** Runs `loupe tap` with the arguments after `tap`; resolves to the process exit code. */
export async function runTap(argv: string[], io: TapIo = defaultIo): Promise<number> {
  let values: {
    out?: string;
    decoder?: string;
    layers?: string;
    force?: boolean;
    json?: boolean;
    help?: boolean;
    'hidden-states'?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        decoder: { type: 'string' },
        layers: { type: 'string' },
        force: { type: 'boolean', short: 'f' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        'hidden-states': { type: 'boolean' },
      },
    }));
  } catch (err) {
    io.stderr(`loupe tap: ${(err as Error).message}\n\n${TAP_USAGE}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout(TAP_USAGE + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    io.stderr(`loupe tap: expected one MODEL_DIR (or decoder .onnx file), got ${positionals.length}.\n\n${TAP_USAGE}\n`);
    return EXIT.usage;
  }
  if (values['hidden-states']) {
    if (values.out !== undefined || values.layers !== undefined)
      return (io.stderr('loupe tap --hidden-states edits the decoder in place; it takes no --out or --layers.\n'), EXIT.usage);
    return runHiddenStates(positionals[0] as string, values.decoder, values.json === true, io);
  }
  const options: TapOptions = { target: positionals[0] as string };
  if (values.out !== undefined) options.out = values.out;
  if (values.decoder !== undefined) options.decoder = values.decoder;
  if (values.force) options.force = true;
  if (values.layers !== undefined) {
    const n = Number(values.layers);
    if (!Number.isInteger(n) || n <= 0) {
      io.stderr(`loupe tap: --layers must be a positive integer; got ${JSON.stringify(values.layers)}.\n`);
      return EXIT.usage;
    }
    options.numLayers = n;
  }
  try {
    const result = await tapModel(options);
    io.stdout(values.json ? JSON.stringify(result, null, 2) + '\n' : describe(result));
    return EXIT.ok;
  } catch (err) {
    if (isLoupeError(err)) {
      if (values.json) io.stdout(JSON.stringify({ error: err.toPayload() }, null, 2) + '\n');
      io.stderr(`loupe tap: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    io.stderr(`loupe tap: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}
