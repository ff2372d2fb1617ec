import { describe, expect, it } from 'vitest';
import type { BatchRecord, Judgement, LayerMetrics, View } from '../../contract/types.js';
import { compareRecords } from './compare.js';
import { csvCell, gridsToJson, recordsToCsv, summaryToCsv } from './export.js';
import { headlineLayer, summarizeRun } from './summary.js';

function lm(coveragePaper: number): LayerMetrics {
  return { coveragePaper, coverageArea: coveragePaper / 2, ratio: 1, pointing: false, entropy: 1 };
}

function rec(
  itemId: string,
  view: View,
  judgement: Judgement,
  o: { dim?: string; qt?: 'mcq' | 'blank'; cov?: number; share?: number; error?: string; answer?: string } = {},
): BatchRecord {
  const r: BatchRecord = {
    key: `${itemId}|${view}|m|s`,
    itemId,
    view,
    modelHash: 'm',
    settingsHash: 's',
    question: 'Q?',
    groundTruth: 'B',
    answer: o.answer ?? 'B',
    extracted: o.answer ?? 'B',
    judgement,
    questionType: o.qt ?? 'mcq',
    layers: o.cov !== undefined ? { '24': lm(o.cov), '12': lm(o.cov / 2) } : {},
    finishedAt: '2026-02-11T00:00:00.000Z',
  };
  if (o.dim) r.dimension = o.dim;
  if (o.share !== undefined) r.boxAreaShare = o.share;
  if (o.error) r.error = o.error;
  return r;
}

// A tiny run whose summary is worked out by hand below.
const RUN: BatchRecord[] = [
  rec('i1', 'global', 'correct', { dim: 'counting', cov: 0.2, share: 0.04 }),
  rec('i1', 'regional', 'correct', { dim: 'counting' }),
  rec('i2', 'global', 'wrong', { dim: 'counting', cov: 0.1, share: 0.06 }),
  rec('i2', 'regional', 'correct', { dim: 'counting' }),
  rec('i3', 'global', 'unjudged', { dim: 'ocr', qt: 'blank', cov: 0.4, share: 0.02 }),
  rec('i3', 'regional', 'wrong', { dim: 'ocr', qt: 'blank' }),
  rec('i4', 'global', 'correct', { dim: 'ocr', cov: 0.6, share: 0.08 }),
  rec('i4', 'regional', 'correct', { dim: 'ocr' }),
  rec('i5', 'global', 'unjudged', { dim: 'ocr', error: 'boom' }),
  rec('i5', 'regional', 'unjudged', { dim: 'ocr', error: 'boom' }),
];

const CTX = {
  runId: 'r',
  spec: { modelId: 'm', benchId: 'b', views: ['global', 'regional'] as View[], layers: [12, 24], maxNewTokens: 8 },
  modelName: 'M',
  benchName: 'B',
  total: 12,
  defaultLayer: 24,
};

describe('summarizeRun (hand-computed)', () => {
  const s = summarizeRun(RUN, CTX);
  it('accuracy per view and the zooming gap', () => {
    // global: 2 correct, 1 wrong, 1 unjudged, 1 failed: 2/5 over all items, 2/3 over judged items
    expect(s.accuracy.global).toEqual({
      correct: 2,
      wrong: 1,
      unjudged: 1,
      failed: 1,
      judged: 3,
      items: 5,
      accuracy: 0.4,
      accuracyJudged: 2 / 3,
    });
    expect(s.accuracy.regional).toEqual({
      correct: 3,
      wrong: 1,
      unjudged: 0,
      failed: 1,
      judged: 4,
      items: 5,
      accuracy: 0.6,
      accuracyJudged: 0.75,
    });
    expect(s.zoomingGap).toBeCloseTo(20, 12);
    expect(s).toMatchObject({ done: 10, total: 12, failed: 2 });
  });
  it('per dimension and question type', () => {
    expect(s.byDimension.counting.global.accuracy).toBe(0.5);
    expect(s.byDimension.counting.regional.accuracy).toBe(1);
    expect(s.byDimension.counting.gap).toBeCloseTo(50, 12);
    expect(s.byDimension.ocr.gap).toBeCloseTo(0, 12);
    expect(s.byDimension.ocr.global).toMatchObject({ correct: 1, unjudged: 1, failed: 1, items: 3 });
    expect(s.byQuestionType.mcq.global.accuracy).toBeCloseTo(2 / 4, 12);
    expect(s.byQuestionType.mcq.gap).toBeCloseTo(25, 10);
    expect(s.byQuestionType.blank).toMatchObject({ gap: 0, global: { correct: 0, unjudged: 1 } });
  });
  it('coverage per layer, correct vs wrong, box share', () => {
    expect(Object.keys(s.coverageByLayer)).toEqual(['12', '24']);
    const c = s.coverageByLayer['24'];
    expect(c.mean).toBeCloseTo(0.325, 12);
    expect(c.median).toBeCloseTo(0.3, 12);
    expect(c.n).toBe(4);
    expect(c.lo).toBeLessThanOrEqual(c.mean);
    expect(c.hi).toBeGreaterThanOrEqual(c.mean);
    expect(s.coverageByLayer['12'].mean).toBeCloseTo(0.1625, 12);
    expect(s.coverageCorrectVsWrong.layer).toBe(24);
    expect(s.coverageCorrectVsWrong.correct.mean).toBeCloseTo(0.4, 12);
    expect(s.coverageCorrectVsWrong.wrong).toMatchObject({ mean: 0.1, n: 1 });
    expect(s.meanBoxAreaShare).toBeCloseTo(0.05, 12);
  });
  it('headline layer falls back to the nearest recorded layer', () => {
    expect(headlineLayer(RUN, 24)).toBe(24);
    expect(headlineLayer(RUN, 15)).toBe(12);
    expect(headlineLayer([], 7)).toBe(7);
  });
});

describe('compareRecords (hand-computed)', () => {
  const a = RUN.filter((r) => r.view === 'global');
  const covB: Record<string, number> = { i1: 0.3, i2: 0.3, i3: 0.35, i4: 0.9 }; // deltas 0.1, 0.2, -0.05, 0.3
  const judB: Record<string, Judgement> = { i1: 'correct', i2: 'correct', i3: 'wrong', i4: 'correct' };
  const b = a
    .filter((r) => r.error === undefined)
    .map((r) => ({
      ...r,
      key: r.key.replace('|m|', '|m2|'),
      modelHash: 'm2',
      layers: { '24': lm(covB[r.itemId]) },
      judgement: judB[r.itemId],
      answer: `b-${r.itemId}`,
    }));
  const c = compareRecords(a, b, { runA: 'A', runB: 'B', layer: 24 });
  it('pairs by item and view and computes the paired deltas', () => {
    expect(c.pairedItems).toBe(4);
    expect(c.coverageDelta.mean).toBeCloseTo(0.1375, 12);
    expect(c.coverageDelta.median).toBeCloseTo(0.15, 12);
    expect(c.accuracyDelta.mean).toBeCloseTo(0.25, 12); // only i2 goes wrong -> correct
  });
  it('Wilcoxon: ranks 1 (the negative), 2, 3, 4 -> T = 1, exact p = 2 * 2/16', () => {
    expect(c.wilcoxon).toMatchObject({ statistic: 1, n: 4 });
    expect(c.wilcoxon.pValue).toBeCloseTo(0.25, 12);
  });
  it('lists flips and the most changed items', () => {
    expect(c.flipped).toEqual([
      { itemId: 'i2', view: 'global', from: 'wrong', to: 'correct', answerA: 'B', answerB: 'b-i2' },
      { itemId: 'i3', view: 'global', from: 'unjudged', to: 'wrong', answerA: 'B', answerB: 'b-i3' },
    ]);
    expect(c.mostChanged.map((m) => m.itemId)).toEqual(['i4', 'i2', 'i1', 'i3']);
    expect(c.mostChanged[0].delta).toBeCloseTo(0.3, 12);
  });
});

describe('exports', () => {
  it('CSV cells are quoted and formula-safe', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });
  it('per-item rows have one column set per recorded layer', () => {
    const csv = recordsToCsv(RUN);
    const [header, first] = csv.trim().split('\n');
    expect(header.split(',')).toContain('L24_coveragePaper');
    expect(header.split(',')).toContain('L12_entropy');
    expect(first.startsWith('i1,global,counting,mcq,correct,,B,B,B,')).toBe(true);
    expect(csv.trim().split('\n')).toHaveLength(11);
  });
  it('summary CSV rows all have the header width', () => {
    const lines = summaryToCsv(summarizeRun(RUN, CTX)).trim().split('\n');
    expect(lines[0]).toBe('section,key,value,correct,wrong,unjudged,failed,judged,items,accuracy_judged,median,ci_lo,ci_hi,n');
    for (const l of lines) expect(l.split(',')).toHaveLength(14);
    const gap = lines.find((l) => l.startsWith('zooming_gap_pp,all,'))!.split(',');
    expect(Number(gap[2])).toBeCloseTo(20, 10);
    expect(lines).toContain(`accuracy,global,0.4,2,1,1,1,3,5,${2 / 3},,,,`);
  });
  it('grids export keeps only records with a grid', () => {
    const withGrid = {
      ...RUN[0],
      grid: { gridH: 1, gridW: 2, values: [0.25, 0.75] },
      gridLayer: 24,
      bbox: [1, 2, 3, 4] as [number, number, number, number],
    };
    expect(JSON.parse(gridsToJson([withGrid, RUN[1]]))).toEqual([
      { itemId: 'i1', view: 'global', layer: 24, gridH: 1, gridW: 2, bbox: [1, 2, 3, 4], values: [0.25, 0.75] },
    ]);
  });
});
