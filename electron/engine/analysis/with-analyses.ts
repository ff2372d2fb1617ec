// One analysis plus the opt-in analyses beyond the heatmap (self-zoom, faithfulness), all on the same
// decoded image: what analysis.run, the global view of a dual analysis and batch runs call.
import type { ActivationOptions, FaithfulnessOptions, SelfZoomOptions } from '../../contract/analyses.js';
import { runActivation } from './activation.js';
import type { AnalysisResult } from '../../contract/types.js';
import type { DecodedImage } from '../image/decode.js';
import type { AnyRuntime } from '../model/runtime.js';
import { analyzeImageWithLogits, type AnalyzeImageRequest } from './analyze.js';
import { runFaithfulness } from './faithfulness.js';
import { runSelfZoom } from './self-zoom.js';
import type { AnalysisHooks } from './stages.js';

export interface AnalysesRequest {
  selfZoom?: SelfZoomOptions;
  faithfulness?: FaithfulnessOptions;
  activation?: ActivationOptions;
}

export async function analyzeWithAnalyses(
  rt: AnyRuntime,
  image: DecodedImage,
  req: AnalyzeImageRequest & AnalysesRequest,
  hooks: AnalysisHooks = {},
): Promise<AnalysisResult> {
  const { selfZoom, faithfulness, activation, ...plain } = req;
  const wantHidden = plain.hiddenStates === true;
  const { result, firstLogits, tokenHidden, unembedding } = await analyzeImageWithLogits(
    rt,
    image,
    activation ? { ...plain, hiddenStates: true } : plain,
    hooks,
  );
  if (activation) {
    result.activation = await runActivation(rt, result, { tokenHidden, unembedding }, activation);
    // The hidden states were needed for the maps; they travel only when asked for themselves.
    if (!wantHidden) delete result.hiddenStates;
  }
  const again = { question: req.question, ...(req.maxNewTokens !== undefined ? { maxNewTokens: req.maxNewTokens } : {}) };
  if (selfZoom) {
    hooks.onStage?.('metrics', 'self-zoom: the question again on the crop around the attention peak');
    result.selfZoom = await runSelfZoom(rt, image, result, selfZoom, again, hooks);
  }
  if (faithfulness) {
    hooks.onStage?.('metrics', 'faithfulness: the question again with cells removed');
    result.faithfulness = await runFaithfulness(
      rt,
      image,
      result,
      firstLogits,
      faithfulness,
      { ...again, ...(req.box ? { box: req.box } : {}) },
      hooks,
    );
  }
  return result;
}
