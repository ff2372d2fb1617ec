// Keys of the results store. A record is identified by what produced it: the item, the view, the
// exact model files (hash) and the settings that change answers or metrics. Changing any of them
// makes a new key, so resume never reuses a result computed differently.
import { createHash } from 'node:crypto';
import type { BatchSpec, View } from '../../contract/types.js';
import { canonicalActivation, canonicalFaithfulness, canonicalSelfZoom } from './analyses-spec.js';

/** Bump when the metrics stored per record change meaning. */
export const METRICS_VERSION = 1;

export function recordKey(itemId: string, view: View, modelHash: string, settingsHash: string): string {
  return `${itemId}|${view}|${modelHash}|${settingsHash}`;
}

/**
 * Hash of the settings that affect a record (not of sharding/limit, which only choose items). The
 * preprocessing (protocol and pixel budget) changes pixels, grids and so every number: it is part of it,
 * and a spec from before protocols existed (no `preprocess`, images through transformers.js's processor)
 * hashes differently from every spec that has one. The opt-in analyses join the hash only when asked for.
 */
export function settingsHash(
  spec: Pick<BatchSpec, 'maxNewTokens' | 'layers' | 'preprocess' | 'selfZoom' | 'faithfulness' | 'activation'>,
): string {
  const pre = spec.preprocess;
  const canonical = JSON.stringify({
    maxNewTokens: spec.maxNewTokens,
    layers: [...spec.layers].sort((a, b) => a - b),
    metrics: METRICS_VERSION,
    ...(pre ? { preprocess: { protocol: pre.protocol ?? null, maxPixels: pre.maxPixels ?? null } } : {}),
    ...(spec.selfZoom ? { selfZoom: canonicalSelfZoom(spec.selfZoom) } : {}),
    ...(spec.faithfulness ? { faithfulness: canonicalFaithfulness(spec.faithfulness) } : {}),
    ...(spec.activation ? { activation: canonicalActivation(spec.activation) } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/**
 * A fresh run id: UTC start second, a random part, and for a shard `-shard<i>of<n>`. The shard suffix
 * means shards i/n of one spec, started by a job array in the same second into one runs folder, can
 * never take each other's id; it also lets a merge pick them by name (`RUNS/*-shard*of8`).
 */
export function newRunId(now: Date = new Date(), shard?: BatchSpec['shard']): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const random = createHash('sha256').update(`${now.getTime()}-${Math.random()}`).digest('hex').slice(0, 6);
  return shard ? `${stamp}-${random}-shard${shard.index}of${shard.count}` : `${stamp}-${random}`;
}
