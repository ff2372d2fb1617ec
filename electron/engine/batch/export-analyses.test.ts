import { describe, expect, it } from 'vitest';
import type { DeletionCurve } from '../../contract/analyses.js';
import type { BatchRecord } from '../../contract/types.js';
import { analysesCsvColumns, analysesNpzArrays } from './export-analyses.js';
import { recordsToCsv } from './export.js';

const curve = (probs: number[]): DeletionCurve => ({
  points: probs.map((prob, i) => ({ fraction: [0, 0.1, 0.2][i], cells: i, prob, drop: probs[0] - prob, answer: 'B', changed: i === 2 })),
  area: 0.5,
});

const base: BatchRecord = {
  key: 'k',
  itemId: 'a',
  view: 'global',
  modelHash: 'm',
  settingsHash: 's',
  question: 'Q',
  groundTruth: 'B',
  answer: 'B',
  extracted: 'B',
  judgement: 'correct',
  questionType: 'mcq',
  layers: {},
  finishedAt: 't',
};
const withAnalyses: BatchRecord = {
  ...base,
  selfZoom: {
    layers: [3, 3],
    relative: false,
    rule: { mode: 'fixed', fraction: 0.5 },
    box: [1, 2, 30, 40],
    windowMass: 0.4,
    iou: 0.25,
    centreInside: true,
    answer: 'C',
    extracted: 'C',
    judgement: 'wrong',
  },
  faithfulness: {
    removal: 'mean-fill',
    fill: [1, 2, 3],
    relative: false,
    token: { id: 5, text: 'B', prob: 0.9 },
    answer: 'B',
    attention: { '3': curve([0.9, 0.5, 0.1]) },
    random: { seeds: [1, 2], curves: [curve([0.9, 0.8, 0.7]), curve([0.9, 0.6, 0.5])], meanArea: 0.5 },
    box: { fraction: 0.05, cells: 2, prob: 0.2, drop: 0.7, answer: 'C', changed: true },
  },
};
const regional: BatchRecord = { ...base, view: 'regional' };

describe('exports of the opt-in analyses', () => {
  it('add no column to runs without them', () => {
    expect(analysesCsvColumns([base, regional]).header).toEqual([]);
    expect(Object.keys(analysesNpzArrays([base]))).toEqual([]);
  });

  it('add named CSV columns, blank for records without a result', () => {
    const csv = recordsToCsv([withAnalyses, regional]).trim().split('\n');
    const header = csv[0].split(',');
    const row = csv[1].split(',');
    const at = (name: string) => row[header.indexOf(name)];
    expect(at('self_zoom_box')).toBe('1 2 30 40');
    expect(at('self_zoom_judgement')).toBe('wrong');
    // Records written before the input was recorded are crop-only.
    expect(at('self_zoom_input')).toBe('crop');
    expect(at('deletion_L3_prob_at_0.2')).toBe('0.1');
    expect(at('deletion_L3_changed_at_0.2')).toBe('true');
    expect(Number(at('deletion_random_prob_at_0.1'))).toBeCloseTo(0.7);
    expect(at('deletion_box_changed')).toBe('true');
    expect(csv[2].split(',')[header.indexOf('self_zoom_box')]).toBe('');
  });

  it('add NPZ arrays with one row per record, NaN or -1 where a record has none', () => {
    const a = analysesNpzArrays([withAnalyses, regional]);
    expect(a.deletion_prob.shape).toEqual([2, 1, 3]);
    expect(Array.from(a.deletion_prob.data as Float32Array).slice(0, 3)).toEqual([
      expect.closeTo(0.9, 6),
      expect.closeTo(0.5, 6),
      expect.closeTo(0.1, 6),
    ]);
    expect(Array.from(a.deletion_random_prob.data as Float32Array).slice(0, 3)).toEqual([
      expect.closeTo(0.9, 6),
      expect.closeTo(0.7, 6),
      expect.closeTo(0.6, 6),
    ]);
    expect(Array.from(a.self_zoom_centre_inside.data as Int8Array)).toEqual([1, -1]);
    expect(Number.isNaN((a.self_zoom_iou.data as Float32Array)[1])).toBe(true);
    expect(Array.from(a.deletion_fractions.data as Float32Array)).toEqual([0, expect.closeTo(0.1, 6), expect.closeTo(0.2, 6)]);
  });
});
