// Faithfulness by deletion (docs/metrics.md "Faithfulness"): remove the cells a layer's attention ranks
// highest, random cells (several seeds) and the key box's cells, by filling their pixel rectangles with
// the image's mean colour, ask again, and follow the probability of the original answer's first token.
// Every re-run goes through the engine's normal image path (decoded RGB -> analyzeImage).
import { type DeletionCurve, type DeletionPoint, type FaithfulnessOptions, type FaithfulnessResult } from '../../contract/analyses.js';
import type { AnalysisResult, Box } from '../../contract/types.js';
import { throwIfAborted } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import { fillRects, meanColour } from '../image/fill.js';
import { boxCells, cellCount, cellRects, deletionArea, randomCells, topCells } from '../metrics/index.js';
import type { AnyRuntime } from '../model/runtime.js';
import { argmax, softmaxAt } from '../model/tensors.js';
import { analyzeImageWithLogits } from './analyze.js';
import { checkFaithfulness } from './faithfulness-options.js';
import { chooseMap } from './map-choice.js';
import { now, type AnalysisHooks } from './stages.js';

interface Probe {
  prob: number;
  answer: string;
}

export interface FaithfulnessRequest {
  question: string;
  maxNewTokens?: number;
  box?: Box;
}

export async function runFaithfulness(
  rt: AnyRuntime,
  image: DecodedImage,
  base: AnalysisResult,
  firstLogits: Float32Array,
  options: FaithfulnessOptions,
  req: FaithfulnessRequest,
  hooks: AnalysisHooks = {},
): Promise<FaithfulnessResult> {
  const checked = checkFaithfulness(options, base.attention.numLayers, rt.info.defaultLayer);
  const t = now();
  const g = base.geometry;
  const cells = g.gridH * g.gridW;
  const fill = meanColour(image);
  const tokenId = argmax(firstLogits);
  const original: Probe = { prob: softmaxAt(firstLogits, tokenId), answer: base.answer };
  const cache = new Map<string, Probe>();

  // One re-run per distinct cell set (layers often agree on their top cells).
  const probe = async (set: readonly number[], label: string): Promise<Probe> => {
    const key = [...set].sort((a, b) => a - b).join(',');
    const hit = cache.get(key);
    if (hit) return hit;
    throwIfAborted(hooks.signal);
    const filled = fillRects(image, cellRects(set, g, g), fill, label);
    const { result, firstLogits: logits } = await analyzeImageWithLogits(
      rt,
      filled,
      { question: req.question, withGeneric: false, ...(req.maxNewTokens !== undefined ? { maxNewTokens: req.maxNewTokens } : {}) },
      hooks.signal ? { signal: hooks.signal } : {},
    );
    const p = { prob: softmaxAt(logits, tokenId), answer: result.answer };
    cache.set(key, p);
    return p;
  };
  const point = (fraction: number, count: number, p: Probe): DeletionPoint => ({
    fraction,
    cells: count,
    prob: p.prob,
    drop: original.prob - p.prob,
    answer: p.answer,
    changed: p.answer.trim() !== original.answer.trim(),
  });
  const curve = async (pick: (count: number) => number[], label: string): Promise<DeletionCurve> => {
    const points: DeletionPoint[] = [point(0, 0, original)];
    for (const f of checked.fractions) {
      const count = cellCount(f, cells);
      points.push(point(f, count, await probe(pick(count), `${label} ${f}`)));
    }
    return { points, area: deletionArea(points.map((x) => ({ fraction: x.fraction, prob: x.prob }))) };
  };

  const attention: Record<string, DeletionCurve> = {};
  for (const layer of checked.layers) {
    const { map } = chooseMap(base, { layers: [layer, layer], relative: checked.relative }, layer, 'faithfulness');
    attention[String(layer)] = await curve((count) => topCells(map, count), `top cells of layer ${layer}`);
  }
  const curves: DeletionCurve[] = [];
  for (const seed of checked.seeds) curves.push(await curve((count) => randomCells(cells, count, seed), `random cells, seed ${seed}`));
  const result: FaithfulnessResult = {
    removal: 'mean-fill',
    fill,
    relative: checked.relative,
    token: { id: tokenId, text: tokenText(rt, base, tokenId), prob: original.prob },
    answer: original.answer,
    attention,
    random: { seeds: checked.seeds, curves, meanArea: curves.reduce((a, c) => a + c.area, 0) / curves.length },
    ms: 0,
  };
  if (req.box) {
    const set = boxCells(req.box, g, g);
    if (set.length > 0) result.box = point(set.length / cells, set.length, await probe(set, 'key box'));
  }
  result.ms = now() - t;
  return result;
}

/** The scored token's text: the answer's first token, or (an empty answer: end of sequence) the tokenizer's. */
function tokenText(rt: AnyRuntime, base: AnalysisResult, tokenId: number): string {
  const first = base.tokens[0];
  if (first && first.id === tokenId) return first.text;
  return rt.kind === 'onnx' ? rt.processor.tokenizer.decode([tokenId], { skip_special_tokens: false }) : `token id ${tokenId}`;
}
