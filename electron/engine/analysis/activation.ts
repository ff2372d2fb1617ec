// Activation maps beside attention maps (docs/metrics.md "Activation maps"; Token Activation Map, Li et
// al., ICCV 2025): each visual position's final normalised hidden state scored against an answer token's
// unembedding row, with the earlier answer tokens' interference removed, compared with the attention
// map of the position that produced the token.
import type { ActivationOptions, ActivationResult, ActivationToken } from '../../contract/analyses.js';
import type { AnalysisResult } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { activationMap, contextCorrected, headAggregate, mapMetrics, spearman, type ContextMap } from '../metrics/index.js';
import type { AnyRuntime } from '../model/runtime.js';
import { unembeddingRows } from './activation-unembedding.js';

/** What the analysis pass gathered beside the visual hidden states (both per answer token, [tokens, hidden]). */
export interface ActivationInputs {
  /** The final hidden state at each answer token's own position (the context correction's weights). */
  tokenHidden?: Float32Array | undefined;
  /** The PyTorch worker's lm_head rows; ONNX packages read theirs from the package. */
  unembedding?: Float32Array | undefined;
}

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

export async function runActivation(
  rt: AnyRuntime,
  base: AnalysisResult,
  inputs: ActivationInputs,
  options: ActivationOptions,
): Promise<ActivationResult> {
  const hs = base.hiddenStates;
  if (!hs) throw new BadRequestError('Activation maps need the hidden states of the analysis.', { field: 'activation' });
  const { dim, data } = hs;
  const correct = options.contextCorrection !== false;
  const layer = Math.min(rt.info.defaultLayer, base.attention.numLayers);
  const ids = base.tokens.map((t) => t.id);
  const { tokenHidden } = inputs;
  const { rows, source } = await unembeddingRows(rt, ids, dim, inputs.unembedding);
  const raw = ids.map((_, i) => activationMap(data, dim, rows.subarray(i * dim, (i + 1) * dim)));
  const tokens: ActivationToken[] = base.tokens.map((tok, i) => {
    // Context: the earlier answer tokens (not the same token), weighted by how strongly the hidden state at
    // each one's own position scores this token: relu(h_j . u_c).
    const context: ContextMap[] = [];
    if (correct && tokenHidden)
      for (let j = 0; j < i; j++) {
        if (ids[j] === tok.id) continue;
        context.push({ map: raw[j], weight: Math.max(0, dot(tokenHidden, j * dim, rows, i * dim, dim)) });
      }
    const { map, alpha } = correct ? contextCorrected(raw[i], context) : { map: raw[i], alpha: 0 };
    const attention = headAggregate(base.attention, layer, 'mean', Math.min(i, base.attention.numQueries - 1));
    const rho = spearman(map, attention);
    const out: ActivationToken = {
      index: i,
      id: tok.id,
      text: tok.text,
      map: Array.from(map),
      alpha,
      spearman: Number.isFinite(rho) ? rho : null,
    };
    if (base.box) out.metrics = mapMetrics(map, base.geometry, base.box);
    return out;
  });
  const rhos = tokens.map((t) => t.spearman).filter((r): r is number => r !== null);
  return {
    layer,
    contextCorrection: correct,
    tokens,
    meanSpearman: rhos.length > 0 ? rhos.reduce((a, b) => a + b, 0) / rhos.length : null,
    unembedding: source,
  };
}
