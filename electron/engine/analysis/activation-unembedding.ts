// The unembedding rows u_c of the answer tokens an activation map scores against (docs/metrics.md
// "Activation maps"), from whichever source the runtime has: the PyTorch worker gathers lm_head.weight
// rows itself; an ONNX package reads them from onnx/lm_head.onnx (written by `loupe tap --hidden-states`
// or the exporter; right for tied and untied heads) or, without that file, from the embedding table when
// lm_head is tied to it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { BadRequestError, InvalidModelError } from '../errors.js';
import { HIDDEN_STATES_OUTPUT, UNEMBEDDING_FILE, UNEMBEDDING_INPUT, UNEMBEDDING_OUTPUT } from '../model/package.js';
import { sessionOptions } from '../model/providers.js';
import type { AnyRuntime, ModelRuntime } from '../model/runtime.js';
import { asFloat32 } from '../model/tensors.js';
import { Tensor } from '../model/transformers.js';

/** Where a runtime's unembedding rows come from, as `ActivationResult.unembedding` reports it. */
export type UnembeddingSource = 'lm_head' | 'lm_head.onnx' | 'embed_tokens';

function checkRows(rows: Float32Array, n: number, dim: number, what: string): Float32Array {
  if (rows.length !== n * dim)
    throw new InvalidModelError(`${what} gave ${rows.length} values for ${n} ids of width ${dim}.`, { file: what });
  return rows;
}

/**
 * Rows from onnx/lm_head.onnx. The session lives only for this call: for a 7B model the weight it holds
 * (vocab x hidden, about 1 GiB in fp16) would otherwise sit in memory beside the decoder between items.
 */
async function lmHeadRows(rt: ModelRuntime, ids: readonly number[], dim: number): Promise<Float32Array> {
  const file = join(rt.info.dir, 'onnx', UNEMBEDDING_FILE);
  const session = await ort.InferenceSession.create(file, sessionOptions('cpu'));
  try {
    const out = await session.run({
      [UNEMBEDDING_INPUT]: new ort.Tensor('int64', BigInt64Array.from(ids.map((i) => BigInt(i))), [ids.length]),
    });
    const t = out[UNEMBEDDING_OUTPUT];
    if (!t)
      throw new InvalidModelError(`${file} has no output \`${UNEMBEDDING_OUTPUT}\`: re-run \`loupe tap ${rt.info.dir} --hidden-states\`.`, {
        file,
      });
    return checkRows(asFloat32(t.data, t.type), ids.length, dim, file);
  } finally {
    await session.release();
  }
}

export async function unembeddingRows(
  rt: AnyRuntime,
  ids: readonly number[],
  dim: number,
  given: Float32Array | undefined,
): Promise<{ rows: Float32Array; source: UnembeddingSource }> {
  if (rt.kind === 'torch') {
    if (!given) throw new InvalidModelError('The PyTorch worker returned no unembedding rows with the hidden states.');
    return { rows: checkRows(given, ids.length, dim, 'the PyTorch worker'), source: 'lm_head' };
  }
  if (existsSync(join(rt.info.dir, 'onnx', UNEMBEDDING_FILE)))
    return { rows: ids.length > 0 ? await lmHeadRows(rt, ids, dim) : new Float32Array(0), source: 'lm_head.onnx' };
  if (!rt.spec.tiedEmbeddings)
    throw new BadRequestError(
      `${rt.info.name} has an untied lm_head (tie_word_embeddings false) and no onnx/${UNEMBEDDING_FILE}, so it has no unembedding rows for activation maps: run \`loupe tap ${rt.info.dir} --hidden-states\` (it writes that file) or re-export with native-models/export_checkpoint.py.`,
      { field: 'activation', file: join(rt.info.dir, 'onnx', UNEMBEDDING_FILE) },
    );
  // Tied: lm_head is the embedding table, so a row is what embed_tokens gives for the id.
  if (ids.length === 0) return { rows: new Float32Array(0), source: 'embed_tokens' };
  const out = await rt.model.encode_text({
    input_ids: new Tensor('int64', BigInt64Array.from(ids.map((i) => BigInt(i))), [1, ids.length]),
  });
  const t = out as unknown as { data: unknown; type: string };
  return { rows: checkRows(asFloat32(t.data, t.type), ids.length, dim, 'embed_tokens'), source: 'embed_tokens' };
}

/**
 * Why this runtime cannot give activation maps, or null when it can: checked before a batch run starts,
 * so a run with --activation on a package without the hidden states is refused instead of failing every item.
 */
export function activationUnsupported(rt: AnyRuntime): string | null {
  if (rt.kind === 'torch') return null;
  if (!rt.sessions.decoder_model_merged.outputNames.includes(HIDDEN_STATES_OUTPUT))
    return `${rt.info.name}'s decoder has no ${HIDDEN_STATES_OUTPUT} output, which activation maps need: run \`loupe tap ${rt.info.dir} --hidden-states\` (or open the Hugging Face checkpoint with the PyTorch engine).`;
  if (!rt.spec.tiedEmbeddings && !existsSync(join(rt.info.dir, 'onnx', UNEMBEDDING_FILE)))
    return `${rt.info.name} has an untied lm_head and no onnx/${UNEMBEDDING_FILE}: run \`loupe tap ${rt.info.dir} --hidden-states\` (it writes that file).`;
  return null;
}
