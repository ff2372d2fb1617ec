// Why researchers' tools run out of memory (docs/reference.md §8): `output_attentions=True` materialises every
// layer's full seq x seq attention for the prompt; Loupe's taps keep only the last query row per layer.
// Computed for Qwen3-VL-8B's decoder (36 layers, 32 heads; 16 px patches merged 2x2 -> 32 px tokens) on
// square images, float32 weights (bf16 halves both columns; the ratio, = seq, is unchanged).

export const QWEN3_VL_8B = { name: 'Qwen3-VL-8B', layers: 36, heads: 32, tokenPx: 32 } as const;
/** Chat template + a typical ZoomBench question, around the image tokens. */
export const TEXT_TOKENS = 40;
export const IMAGE_SIDES = [448, 672, 896, 1344, 1792, 2048] as const;

export interface TapMemoryRow {
  imagePx: number;
  visualTokens: number;
  seq: number;
  fullBytes: number;
  lastRowBytes: number;
  ratio: number;
}

export function tapMemoryRow(
  side: number,
  dims: { layers: number; heads: number; tokenPx: number } = QWEN3_VL_8B,
  bytesPerFloat = 4,
): TapMemoryRow {
  const perSide = Math.round(side / dims.tokenPx);
  const visualTokens = perSide * perSide;
  const seq = visualTokens + TEXT_TOKENS;
  const fullBytes = dims.layers * dims.heads * seq * seq * bytesPerFloat;
  const lastRowBytes = dims.layers * dims.heads * seq * bytesPerFloat;
  return { imagePx: side, visualTokens, seq, fullBytes, lastRowBytes, ratio: fullBytes / lastRowBytes };
}

export function tapMemoryTable(): TapMemoryRow[] {
  return IMAGE_SIDES.map((s) => tapMemoryRow(s));
}
