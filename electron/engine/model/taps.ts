// From raw tap rows to the contract's AttentionMaps: keep the visual-token columns only (positions strictly
// between <|vision_start|> and <|vision_end|>), in the contract's layout
// data[((q * numLayers + layer) * numHeads + head) * cells + cell]. Rows are NOT renormalised: the sum over
// visual tokens (the "visual mass") is itself informative, and the metrics divide by it where they must.
import type { AttentionMaps } from '../../contract/types.js';
import type { StepResult } from './decoder.js';

export interface TapLayout {
  numLayers: number;
  numHeads: number;
  gridH: number;
  gridW: number;
  visualStart: number;
}

/** Copies one decoder call's visual columns into `out` at query `q`. */
export function writeQuery(out: Float32Array, q: number, step: StepResult, layout: TapLayout): void {
  const cells = layout.gridH * layout.gridW;
  const { numLayers, numHeads, visualStart } = layout;
  if (step.taps.length !== numLayers) throw new Error(`expected ${numLayers} tap outputs, got ${step.taps.length}`);
  for (let l = 0; l < numLayers; l++) {
    const row = step.taps[l];
    if (row.length !== numHeads * step.total) {
      throw new Error(
        `decoder_attentions.${l} has ${row.length} values; expected heads x length = ${numHeads} x ${step.total}. Is it the LAST query row ([B, heads, 1, length])?`,
      );
    }
    for (let h = 0; h < numHeads; h++) {
      const src = h * step.total + visualStart;
      out.set(row.subarray(src, src + cells), ((q * numLayers + l) * numHeads + h) * cells);
    }
  }
}

export function assembleMaps(steps: StepResult[], layout: TapLayout): AttentionMaps {
  const cells = layout.gridH * layout.gridW;
  const data = new Float32Array(steps.length * layout.numLayers * layout.numHeads * cells);
  steps.forEach((s, q) => writeQuery(data, q, s, layout));
  return {
    numQueries: steps.length,
    numLayers: layout.numLayers,
    numHeads: layout.numHeads,
    gridH: layout.gridH,
    gridW: layout.gridW,
    data,
  };
}
