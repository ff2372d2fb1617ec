// How a run is named wherever it is listed: its given name, else model and bench; with when it started
// and the settings that tell two runs of the same model and bench apart.
import type { RunInfo } from '../../../../electron/contract/types.js';
import { protocolOf } from '../../selection/labels.js';

export function runTitle(r: RunInfo): string {
  return r.name ? r.name : `${r.modelName} · ${r.benchName}`;
}

/** "21 Nov 14:05" in the researcher's locale. */
export function startedText(r: RunInfo, locale?: string): string {
  const d = new Date(r.startedAt);
  if (Number.isNaN(d.getTime())) return r.startedAt;
  return d.toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** "global + regional · all layers · 16 tokens · first 50 items · shard 1/4 · paper protocol" */
export function settingsText(r: Pick<RunInfo, 'spec'>): string {
  const s = r.spec;
  const parts = [
    s.views.join(' + '),
    s.layers.length ? `layers ${s.layers.join(', ')}` : 'all layers',
    `${s.maxNewTokens} new tokens`,
    s.limit !== undefined ? `first ${s.limit} items` : '',
    s.shard ? `shard ${s.shard.index}/${s.shard.count}` : '',
    protocolOf(s) ? `${protocolOf(s)} protocol` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}
