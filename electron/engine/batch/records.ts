// Turning one analysis into a stored record: judge the answer, compute the per-layer metrics.
import type { AnalysisResult, BatchRecord, BatchSpec, View } from '../../contract/types.js';
import type { BenchItem } from '../bench/types.js';
import { judgeAnswer } from '../bench/judge.js';
import { boxAreaShare, headAggregate, metricsByLayer } from '../metrics/index.js';
import { recordKey } from './keys.js';

export interface RecordContext {
  item: BenchItem;
  view: View;
  spec: BatchSpec;
  modelHash: string;
  settingsHash: string;
  /** 1-based layer whose head-mean grid is kept for per-item exports. */
  gridLayer: number;
  now: () => Date;
}

function base(ctx: RecordContext): Omit<BatchRecord, 'answer' | 'extracted' | 'judgement' | 'layers' | 'finishedAt'> {
  const { item, view } = ctx;
  const r: Omit<BatchRecord, 'answer' | 'extracted' | 'judgement' | 'layers' | 'finishedAt'> = {
    key: recordKey(item.id, view, ctx.modelHash, ctx.settingsHash),
    itemId: item.id,
    view,
    modelHash: ctx.modelHash,
    settingsHash: ctx.settingsHash,
    question: item.question,
    groundTruth: item.answer,
    questionType: item.questionType,
  };
  if (item.dimension !== undefined) r.dimension = item.dimension;
  if (item.bbox !== undefined) r.bbox = item.bbox;
  return r;
}

/** Keeps JSONL lines small: 6 significant digits is far below any difference the UI can show. */
function compact(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : 0;
}

/**
 * The record of one analysed view. Coverage metrics are computed for the GLOBAL view only: the bench
 * box is in full-image pixels and has no meaning on the regional crop. The regional view keeps its
 * answer, judgement and attention grid.
 */
export function buildRecord(ctx: RecordContext, result: AnalysisResult): BatchRecord {
  const { item, view, spec } = ctx;
  const judged = judgeAnswer(result.answer, item.answer, item.questionType, item.question);
  const record: BatchRecord = {
    ...base(ctx),
    answer: result.answer,
    extracted: judged.extracted,
    judgement: judged.judgement,
    judgeReason: judged.reason,
    layers: {},
    finishedAt: ctx.now().toISOString(),
  };
  if (view === 'global' && item.bbox !== undefined) {
    const input = { attention: result.attention, geometry: result.geometry, box: item.bbox, genericAttention: result.genericAttention };
    record.layers = metricsByLayer(input, spec.layers);
    record.boxAreaShare = boxAreaShare(item.bbox, result.geometry);
  }
  if (view === 'global' && result.selfZoom) {
    const sz = result.selfZoom;
    const j = judgeAnswer(sz.answer, item.answer, item.questionType, item.question);
    record.selfZoom = {
      layers: sz.layers,
      relative: sz.relative,
      rule: sz.rule,
      input: sz.input,
      box: sz.box,
      windowMass: compact(sz.windowMass),
      ...(sz.iou !== undefined ? { iou: compact(sz.iou) } : {}),
      ...(sz.centreInside !== undefined ? { centreInside: sz.centreInside } : {}),
      answer: sz.answer,
      extracted: j.extracted,
      judgement: j.judgement,
      judgeReason: j.reason,
    };
  }
  if (view === 'global' && result.faithfulness) {
    const { ms: _ms, ...kept } = result.faithfulness;
    record.faithfulness = kept;
  }
  const layer = Math.min(ctx.gridLayer, result.attention.numLayers);
  const grid = headAggregate(result.attention, layer, 'mean', 0);
  record.grid = { gridH: result.attention.gridH, gridW: result.attention.gridW, values: Array.from(grid, compact) };
  record.gridLayer = layer;
  record.preprocess = result.preprocess;
  return record;
}

export function errorRecord(ctx: RecordContext, error: unknown): BatchRecord {
  return {
    ...base(ctx),
    answer: '',
    extracted: '',
    judgement: 'unjudged',
    layers: {},
    error: error instanceof Error ? error.message : String(error),
    finishedAt: ctx.now().toISOString(),
  };
}

/**
 * A stored record judged with the current rules. Judging needs only what the record keeps (answer,
 * ground truth, question and its type), so runs made before a rule changed read the same as new ones.
 */
export function withCurrentJudgement(r: BatchRecord): BatchRecord {
  if (r.error !== undefined) return r;
  const j = judgeAnswer(r.answer, r.groundTruth, r.questionType, r.question);
  let out = r;
  if (j.judgement !== r.judgement || j.extracted !== r.extracted || j.reason !== r.judgeReason)
    out = { ...r, judgement: j.judgement, extracted: j.extracted, judgeReason: j.reason };
  const sz = r.selfZoom;
  if (sz) {
    const z = judgeAnswer(sz.answer, r.groundTruth, r.questionType, r.question);
    if (z.judgement !== sz.judgement || z.extracted !== sz.extracted || z.reason !== sz.judgeReason)
      out = { ...out, selfZoom: { ...sz, judgement: z.judgement, extracted: z.extracted, judgeReason: z.reason } };
  }
  return out;
}
