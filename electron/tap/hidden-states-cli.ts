// `loupe tap MODEL_DIR --hidden-states`: the hidden-states output added to a package's decoder in place.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT, exitCodeFor } from '../cli/exit-codes.js';
import { isLoupeError } from '../engine/errors.js';
import { addHiddenStatesOutput, HIDDEN_STATES_OUTPUT } from './hidden-states.js';
import { readModel, writeModel } from './onnx-model.js';

export async function runHiddenStates(
  target: string,
  decoder: string | undefined,
  json: boolean,
  io: { stdout: (t: string) => void; stderr: (t: string) => void },
): Promise<number> {
  const abs = resolve(target);
  const file = abs.endsWith('.onnx') ? abs : join(abs, 'onnx', decoder ?? 'decoder_model_merged.onnx');
  if (!existsSync(file) || !statSync(file).isFile()) {
    io.stderr(`loupe tap: no decoder at ${file}.\n`);
    return EXIT.notFound;
  }
  try {
    const model = await readModel(file);
    const { added, source } = addHiddenStatesOutput(model, file);
    if (added) await writeModel(file, model);
    const result = { decoder: file, output: HIDDEN_STATES_OUTPUT, source, added };
    io.stdout(
      json
        ? `${JSON.stringify(result, null, 2)}\n`
        : added
          ? `${file}: added ${HIDDEN_STATES_OUTPUT} (a float32 copy of ${source}, the final normalised hidden states).\n`
          : `${file} already has ${HIDDEN_STATES_OUTPUT}; nothing written.\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (isLoupeError(err)) {
      io.stderr(`loupe tap: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    throw err;
  }
}
