// `loupe tap MODEL_DIR --hidden-states`: the hidden-states output added to a package's decoder in place.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT, exitCodeFor } from '../cli/exit-codes.js';
import { isLoupeError } from '../engine/errors.js';
import { UNEMBEDDING_FILE } from '../engine/model/package.js';
import { addHiddenStatesOutput, HIDDEN_STATES_OUTPUT } from './hidden-states.js';
import { readModel, writeModel } from './onnx-model.js';
import { buildUnembeddingModel } from './unembedding.js';

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
    // Built before the decoder is written (it reads the lm_head weight's initializer). A head whose rows
    // cannot be gathered (quantised) still gets the hidden states; the engine then says it has no rows.
    let unembedding: ReturnType<typeof buildUnembeddingModel> | null = null;
    let unembeddingProblem: string | null = null;
    try {
      unembedding = buildUnembeddingModel(model, file);
    } catch (err) {
      if (!isLoupeError(err)) throw err;
      unembeddingProblem = err.message;
    }
    const { added, source } = addHiddenStatesOutput(model, file);
    if (added) await writeModel(file, model);
    // Beside the decoder: an external-data weight's `location` is relative to that folder.
    const lmHead = join(dirname(file), UNEMBEDDING_FILE);
    const wroteLmHead = unembedding !== null && !existsSync(lmHead);
    if (unembedding && wroteLmHead) await writeModel(lmHead, unembedding);
    const result = {
      decoder: file,
      output: HIDDEN_STATES_OUTPUT,
      source,
      added,
      unembedding: lmHead,
      unembeddingAdded: wroteLmHead,
      ...(unembeddingProblem ? { unembeddingProblem } : {}),
    };
    io.stdout(
      json
        ? `${JSON.stringify(result, null, 2)}\n`
        : [
            added
              ? `${file}: added ${HIDDEN_STATES_OUTPUT} (a float32 copy of ${source}, the final normalised hidden states).`
              : `${file} already has ${HIDDEN_STATES_OUTPUT}; nothing written.`,
            unembeddingProblem
              ? `no ${UNEMBEDDING_FILE} written: ${unembeddingProblem}`
              : wroteLmHead
                ? `${lmHead}: wrote the unembedding graph (lm_head rows of given token ids, float32).`
                : `${lmHead} already exists; nothing written.`,
          ].join('\n') + '\n',
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
