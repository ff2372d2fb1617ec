// The words every number carries: "coverage 29.8% · layer 3 · mean of 16 heads · prompt token · paper
// protocol". One place, so Inspect, Replay, Compare, Batch and every export say it the same way.
import type { AnswerToken } from '../../../electron/contract/types.js';
import type { HeadSel, Norm, ResolvedSelection } from './selection.js';

export function layerLabel(r: Pick<ResolvedSelection, 'from' | 'to'>): string {
  return r.to > r.from ? `layers ${r.from}–${r.to} (mean)` : `layer ${r.from}`;
}

export function headLabel(head: HeadSel, numHeads: number): string {
  if (head === 'mean') return `mean of ${numHeads} heads`;
  if (head === 'max') return `max of ${numHeads} heads`;
  return `head h${head} of ${numHeads}`;
}

/** Shows whitespace and empty tokens so a label never hides them. */
export function visibleToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/ /g, '␣').replace(/\n/g, '⏎');
}

export function tokenLabel(query: number, tokens?: readonly AnswerToken[]): string {
  if (query === 0) return 'prompt token';
  const t = tokens?.[query - 1];
  return t ? `answer token ${query} “${visibleToken(t.text)}”` : `answer token ${query}`;
}

export const NORM_LABELS: Record<Norm, { short: string; long: string }> = {
  layerP99: {
    short: '99th pct per layer',
    long: 'Colours span 0 to the 99th percentile of this layer’s cells (brighter cells are clipped), so one sink cell cannot wash out the rest.',
  },
  layerMax: { short: 'max per layer', long: 'Colours span 0 to this layer’s largest cell.' },
  shared: {
    short: 'one scale, all layers',
    long: 'One colour scale for every layer (0 to the 99th percentile of all layers’ cells): compares how strongly layers look, not only where.',
  },
  relative: {
    short: 'relative to generic prompt',
    long: 'Attention divided by the attention for “Write a general description of the image.” (cancels sinks and position bias); colours span 0 to this layer’s 99th percentile.',
  },
};

/** "paper protocol" / "hf protocol"; empty when the analysis does not say. */
function protocolLabel(protocol: string | undefined): string {
  return protocol ? `${protocol} protocol` : '';
}

/**
 * The protocol an analysis, record or run spec carries: `preprocess.protocol` (AnalysisResult,
 * BatchRecord, BatchSpec), or a top-level `protocol` (other engines' results). Undefined for results
 * saved before protocols existed.
 */
export function protocolOf(x: object | null | undefined): string | undefined {
  const o = x as { protocol?: unknown; preprocess?: { protocol?: unknown } } | null | undefined;
  const p = o?.preprocess?.protocol ?? o?.protocol;
  return typeof p === 'string' && p !== '' ? p : undefined;
}

interface MeasureContext {
  sel: ResolvedSelection;
  tokens?: readonly AnswerToken[];
  protocol?: string;
}

/** "activation of answer token 1 “B” · final layer (logit lens)": what an activation map shows. */
export function activationLabel(query: number, tokens?: readonly AnswerToken[]): string {
  const t = tokens?.[query];
  return `activation of answer token ${query + 1}${t ? ` “${visibleToken(t.text)}”` : ''} · final hidden states (logit lens)`;
}

/** "layer 3 · mean of 16 heads · prompt token · paper protocol" */
export function selectionLabel(ctx: MeasureContext): string {
  if (ctx.sel.kind === 'activation')
    return [activationLabel(ctx.sel.query, ctx.tokens), protocolLabel(ctx.protocol)].filter(Boolean).join(' · ');
  return [
    layerLabel(ctx.sel),
    headLabel(ctx.sel.head, ctx.sel.numHeads),
    tokenLabel(ctx.sel.query, ctx.tokens),
    protocolLabel(ctx.protocol),
  ]
    .filter(Boolean)
    .join(' · ');
}

/** "coverage 29.8% · layer 3 · mean of 16 heads · prompt token · paper protocol" */
export function labelled(name: string, value: string, ctx: MeasureContext): string {
  return `${name} ${value} · ${selectionLabel(ctx)}`;
}

/**
 * What a batch record's stored numbers are: the run measures head mean and the prompt token at each
 * recorded layer, global view ("layer 3 · mean of heads · prompt token · global view (run)").
 */
export function recordLabel(layer: number, protocol?: string): string {
  return [`layer ${layer}`, 'mean of heads', 'prompt token', 'global view', protocolLabel(protocol)].filter(Boolean).join(' · ');
}
