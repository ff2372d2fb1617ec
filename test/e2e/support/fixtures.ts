// Shared lookups for the tests: the bundled bench and models as the engine reports them.
import type { AnalysisResult, AnalyzeRequest, BenchItemSummary, ModelInfo } from '../../../electron/contract/types.js';
import { clientOf, type Loupe } from './loupe.js';

export async function bundled(loupe: Loupe): Promise<{ benchId: string; items: BenchItemSummary[]; base: ModelInfo; r2i: ModelInfo }> {
  const c = clientOf(loupe);
  const benches = await c.call('bench.list', {});
  const bench = benches.find((b) => b.name.includes('loupe-mini')) ?? benches[0];
  if (!bench) throw new Error('No bundled benchmark: resources/bench/loupe-mini is missing.');
  const items = await c.call('bench.items', { benchId: bench.id });
  const models = await c.call('models.list', {});
  const base = models.find((m) => m.name === 'loupe-tiny-base');
  const r2i = models.find((m) => m.name === 'loupe-tiny-r2i');
  if (!base || !r2i) throw new Error(`Bundled models missing; found: ${models.map((m) => m.name).join(', ') || 'none'}.`);
  return { benchId: bench.id, items, base, r2i };
}

/** What the engine itself answers for a bench item's global view (the UI must show exactly this). */
export function engineAnswer(
  loupe: Loupe,
  model: ModelInfo,
  benchId: string,
  item: BenchItemSummary,
  extra: Partial<AnalyzeRequest> = {},
): Promise<AnalysisResult> {
  return clientOf(loupe).call('analysis.run', {
    modelId: model.id,
    image: { kind: 'benchItem', benchId, itemId: item.id, view: 'global' },
    question: item.question,
    box: item.bbox,
    maxNewTokens: 16,
    withGeneric: true,
    ...extra,
  });
}
