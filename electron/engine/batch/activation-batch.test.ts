// Activation maps in batch runs: what a record keeps (first token's map and box metrics beside the
// attention map it is compared with), the run's aggregates on a small run worked out by hand, the Compare
// deltas, and the export columns/arrays.
import { describe, expect, it } from 'vitest';
import type { ActivationRecord, ActivationResult } from '../../contract/analyses.js';
import type { AnalysisResult, BatchRecord, LayerMetrics } from '../../contract/types.js';
import { headAggregate, mapMetrics } from '../metrics/index.js';
import { activationRecord, summarizeActivation } from './activation-batch.js';
import { compareAnalyses } from './compare-analyses.js';
import { analysesCsvColumns, analysesNpzArrays, analysesSummaryRows } from './export-analyses.js';
import { summarizeRun } from './summary.js';

const metrics = (coveragePaper: number, pointing: boolean): LayerMetrics => ({
  coveragePaper,
  coverageArea: 0,
  ratio: 0,
  pointing,
  entropy: 0,
});

function act(
  spearman: number | null,
  cov: number,
  point: boolean,
  attCov: number,
  attPoint: boolean,
  mean: number | null = spearman,
): ActivationRecord {
  return {
    layer: 3,
    contextCorrection: true,
    unembedding: 'embed_tokens',
    tokens: 2,
    meanSpearman: mean,
    first: {
      text: 'A',
      spearman,
      metrics: metrics(cov, point),
      attention: metrics(attCov, attPoint),
      grid: { gridH: 1, gridW: 2, values: [0.5, 1] },
    },
  };
}

function rec(itemId: string, dimension: string, activation?: ActivationRecord, extra: Partial<BatchRecord> = {}): BatchRecord {
  return {
    key: `${itemId}|global`,
    itemId,
    view: 'global',
    modelHash: 'm',
    settingsHash: 's',
    question: 'Q',
    groundTruth: 'A',
    answer: 'A',
    extracted: 'A',
    judgement: 'correct',
    questionType: 'mcq',
    dimension,
    layers: {},
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...(activation ? { activation } : {}),
    ...extra,
  };
}

describe('activation records', () => {
  it('keep the first token’s map and metrics beside the attention map it is compared with', () => {
    const geometry = { imageWidth: 4, imageHeight: 2, resizedWidth: 4, resizedHeight: 2, gridH: 1, gridW: 2, tokenPx: 2 };
    const attention = {
      numQueries: 2,
      numLayers: 3,
      numHeads: 1,
      gridH: 1,
      gridW: 2,
      data: new Float32Array([0, 0, 0, 0, 0.2, 0.8, 0, 0, 0, 0, 0.9, 0.1]),
    };
    const result = { geometry, attention, box: [0, 0, 2, 2] } as unknown as AnalysisResult;
    const a: ActivationResult = {
      layer: 3,
      contextCorrection: false,
      unembedding: 'lm_head',
      meanSpearman: -1,
      tokens: [
        {
          index: 0,
          id: 5,
          text: 'x',
          map: [1, 0.123456789],
          alpha: 0,
          spearman: -1,
          metrics: mapMetrics([1, 0.123456789], geometry, [0, 0, 2, 2]),
        },
        { index: 1, id: 6, text: 'y', map: [0, 1], alpha: 0, spearman: -1 },
      ],
    };
    const r = activationRecord(result, a);
    expect(r.tokens).toBe(2);
    expect(r.first?.grid).toEqual({ gridH: 1, gridW: 2, values: [1, 0.123457] });
    // Attention at layer 3, query 0 ([0.2, 0.8], not query 1's [0.9, 0.1]): the peak is outside the box (left cell).
    const want = mapMetrics([0.2, 0.8], geometry, [0, 0, 2, 2]);
    expect(r.first?.attention?.coveragePaper).toBeCloseTo(want.coveragePaper, 5);
    expect(r.first?.attention?.pointing).toBe(false);
    expect(r.first?.metrics?.pointing).toBe(true);
    expect(Array.from(headAggregate(attention, 3, 'mean', 0))).toEqual([0.20000000298023224, 0.800000011920929]);
  });
});

describe('activation summary', () => {
  const records = [
    rec('1', 'a', act(0.5, 0.6, true, 0.2, false)),
    rec('2', 'a', act(-0.1, 0.4, false, 0.3, true, 0.1)),
    rec('3', 'b', act(null, 0.2, true, 0.5, true, null)),
    rec('4', 'b'), // no activation (e.g. a record from before the option): not counted
    rec('5', 'b', act(0.9, 0.9, true, 0.9, true), { error: 'failed' }),
  ];
  const s = summarizeActivation(records, { iterations: 200 })!;

  it('averages the first token’s figures over the items that have them, per run and dimension', () => {
    expect(s.items).toBe(3);
    expect(s.spearmanFirst.n).toBe(2);
    expect(s.spearmanFirst.mean).toBeCloseTo(0.2, 12);
    expect(s.spearmanTokens.mean).toBeCloseTo(0.3, 12);
    expect(s.coverage.activation.mean).toBeCloseTo(0.4, 12);
    expect(s.coverage.attention.mean).toBeCloseTo(1 / 3, 12);
    expect(s.pointing).toEqual({ activation: 2 / 3, attention: 2 / 3, items: 3 });
    expect(s.byDimension['a']).toEqual({
      items: 2,
      spearman: 0.2,
      coverageActivation: 0.5,
      coverageAttention: 0.25,
      pointingActivation: 0.5,
      pointingAttention: 0.5,
    });
    expect(s.byDimension['b']?.spearman).toBeNull();
    expect(s.spearmanFirst.lo).toBeLessThanOrEqual(s.spearmanFirst.mean);
    expect(s.spearmanFirst.hi).toBeGreaterThanOrEqual(s.spearmanFirst.mean);
  });

  it('is absent for runs without activation maps, and in the run summary otherwise', () => {
    expect(summarizeActivation([rec('4', 'b')])).toBeUndefined();
    const spec = { modelId: 'm', benchId: 'b', views: ['global' as const], layers: [], maxNewTokens: 4, activation: {} };
    const run = summarizeRun(records, {
      runId: 'r',
      spec,
      modelName: 'm',
      benchName: 'b',
      total: 5,
      defaultLayer: 3,
      bootstrap: { iterations: 50 },
    });
    expect(run.activation?.items).toBe(3);
  });

  it('gives Compare deltas only when both runs have data', () => {
    const other = summarizeActivation([rec('1', 'a', act(0.7, 0.8, true, 0.2, false))])!;
    const d = compareAnalyses({ activation: s }, { activation: other }, 3)!.activation!;
    expect(d.spearman.delta).toBeCloseTo(0.5, 12);
    expect(d.coverageActivation.delta).toBeCloseTo(0.4, 12);
    expect(compareAnalyses({ activation: s }, {}, 3)).toBeUndefined();
  });

  it('exports CSV columns, summary rows and NPZ arrays', () => {
    const csv = analysesCsvColumns(records);
    expect(csv.header).toContain('activation_first_spearman');
    const row = csv.row(records[0]);
    expect(row[csv.header.indexOf('activation_first_coverage_paper')]).toBe(0.6);
    expect(row[csv.header.indexOf('activation_attention_pointing')]).toBe(false);
    expect(analysesCsvColumns([rec('4', 'b')]).header).toEqual([]);
    const rows = analysesSummaryRows({ activation: s } as never);
    expect(rows.find((r) => r[0] === 'activation_spearman_first_token')?.[2]).toBeCloseTo(0.2, 12);
    const npz = analysesNpzArrays(records);
    expect(Array.from(npz['activation_grid_offset']!.data as Int32Array)).toEqual([0, 2, 4, 6, 6, 8]);
    expect(Array.from(npz['activation_first_pointing']!.data as Int8Array)).toEqual([1, 0, 1, -1, 1]);
  });
});
