// Run aggregates of self-zoom and faithfulness, on small runs worked out by hand, and the gap-recovered
// bootstrap against a direct re-implementation with the same seeded generator.
import { describe, expect, it } from 'vitest';
import type { DeletionCurve, FaithfulnessRecord, SelfZoomRecord } from '../../contract/analyses.js';
import type { BatchRecord, Judgement, View } from '../../contract/types.js';
import { seededRng } from '../stats/index.js';
import { gapRecoveredCi, summarizeFaithfulness, summarizeSelfZoom } from './analyses-summary.js';
import { bootstrapCi } from '../stats/bootstrap.js';
import { pairedSelfZoom, zoomNeedTransitions } from './compare-analyses.js';

function rec(itemId: string, view: View, judgement: Judgement, extra: Partial<BatchRecord> = {}): BatchRecord {
  return {
    key: `${itemId}|${view}`,
    itemId,
    view,
    modelHash: 'm',
    settingsHash: 's',
    question: 'Q',
    groundTruth: 'B',
    answer: 'x',
    extracted: 'x',
    judgement,
    questionType: 'mcq',
    layers: {},
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

function sz(judgement: Judgement, iou: number, inside: boolean): SelfZoomRecord {
  return {
    layers: [3, 3],
    relative: false,
    rule: { mode: 'fixed', fraction: 0.5 },
    box: [0, 0, 10, 10],
    windowMass: 0.5,
    iou,
    centreInside: inside,
    answer: 'y',
    extracted: 'y',
    judgement,
  };
}

describe('summarizeSelfZoom', () => {
  // i1: one pass; i2: fixed by self-zoom; i3: needs the key region; i4: unsolved; i5: one pass lost by self-zoom.
  const run: BatchRecord[] = [
    rec('i1', 'global', 'correct', { dimension: 'ocr', selfZoom: sz('correct', 0.5, true) }),
    rec('i1', 'regional', 'correct', { dimension: 'ocr' }),
    rec('i2', 'global', 'wrong', { dimension: 'ocr', selfZoom: sz('correct', 0.3, true) }),
    rec('i2', 'regional', 'correct', { dimension: 'ocr' }),
    rec('i3', 'global', 'wrong', { dimension: 'count', selfZoom: sz('wrong', 0.1, false) }),
    rec('i3', 'regional', 'correct', { dimension: 'count' }),
    rec('i4', 'global', 'wrong', { dimension: 'count', selfZoom: sz('wrong', 0, false) }),
    rec('i4', 'regional', 'wrong', { dimension: 'count' }),
    rec('i5', 'global', 'correct', { dimension: 'count', selfZoom: sz('wrong', 0.1, true) }),
    rec('i5', 'regional', 'correct', { dimension: 'count' }),
  ];

  it('counts the three accuracies over the same items, the gap recovered and the outcomes', () => {
    const s = summarizeSelfZoom(run)!;
    expect(s.items).toBe(5);
    expect(s.accuracy.global.accuracy).toBeCloseTo(2 / 5);
    expect(s.accuracy.selfZoom.accuracy).toBeCloseTo(2 / 5);
    expect(s.accuracy.regional.accuracy).toBeCloseTo(4 / 5);
    // (0.4 - 0.4) / (0.8 - 0.4)
    expect(s.accuracy.gapRecovered).toBeCloseTo(0);
    expect(s.byDimension.ocr.gapRecovered).toBeCloseTo(1); // global 1/2, self-zoom 2/2, regional 2/2
    expect(s.byDimension.count.gapRecovered).toBeCloseTo(-1); // (0 - 1/3) / (2/3 - 1/3)
    expect(s.outcomes).toEqual({ onePass: 2, selfZoom: 1, needsKeyRegion: 1, unsolved: 1, selfZoomHurts: 1 });
    expect(s.iou.mean).toBeCloseTo(0.2);
    expect(s.centreInside).toBeCloseTo(3 / 5);
    expect(s.gapRecovered.value).toBeCloseTo(0);
    expect(s.gapRecovered.n).toBe(5);
  });

  it('is absent for runs without self-zoom, and has no gap in a global-only run', () => {
    expect(summarizeSelfZoom(run.map(({ selfZoom: _s, ...r }) => r))).toBeUndefined();
    const g = summarizeSelfZoom(run.filter((r) => r.view === 'global'))!;
    expect(g.accuracy.regional.items).toBe(0);
    expect(g.accuracy.gapRecovered).toBeNull();
    expect(g.gapRecovered.value).toBeNull();
  });
});

describe('gapRecoveredCi', () => {
  it('matches a direct percentile bootstrap over items with the same generator', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ g: i % 3 === 0 ? 1 : 0, s: i % 2 === 0 ? 1 : 0, r: i % 5 === 4 ? 0 : 1 }));
    const got = gapRecoveredCi(rows, { iterations: 500, seed: 7 });
    const rng = seededRng(7);
    const stats: number[] = [];
    for (let b = 0; b < 500; b++) {
      const pick = Array.from({ length: rows.length }, () => rows[Math.floor(rng() * rows.length)]);
      const [g, s, r] = ['g', 's', 'r'].map((k) => pick.reduce((a, x) => a + x[k as 'g' | 's' | 'r'], 0));
      if (r !== g) stats.push((s - g) / (r - g));
    }
    stats.sort((a, b) => a - b);
    const q = (p: number) => {
      const pos = (stats.length - 1) * p;
      return stats[Math.floor(pos)] + (stats[Math.ceil(pos)] - stats[Math.floor(pos)]) * (pos - Math.floor(pos));
    };
    const [G, S, R] = ['g', 's', 'r'].map((k) => rows.reduce((a, x) => a + x[k as 'g' | 's' | 'r'], 0));
    expect(got.value).toBeCloseTo((S - G) / (R - G), 12);
    expect(got.lo).toBeCloseTo(q(0.025), 12);
    expect(got.hi).toBeCloseTo(q(0.975), 12);
    expect(gapRecoveredCi([])).toEqual({ value: null, lo: null, hi: null, n: 0 });
    expect(gapRecoveredCi([{ g: 1, s: 0, r: 1 }]).value).toBeNull();
  });
});

function curve(probs: number[], changed: boolean[] = probs.map(() => false)): DeletionCurve {
  const fr = [0, 0.1, 0.2];
  const points = probs.map((prob, i) => ({ fraction: fr[i], cells: i, prob, drop: probs[0] - prob, answer: 'a', changed: changed[i] }));
  // Trapezoids over 0, 0.1, 0.2 divided by 0.2.
  const area = ((probs[0] + probs[1]) / 2 + (probs[1] + probs[2]) / 2) / 2;
  return { points, area };
}

function faith(l1: number[], l2: number[], random: number[][], boxProb?: number): FaithfulnessRecord {
  const rc = random.map((p) => curve(p));
  const f: FaithfulnessRecord = {
    removal: 'mean-fill',
    fill: [1, 2, 3],
    relative: false,
    token: { id: 1, text: 'B', prob: l1[0] },
    answer: 'B',
    attention: { '1': curve(l1, [false, false, true]), '2': curve(l2) },
    random: { seeds: random.map((_, i) => i + 1), curves: rc, meanArea: rc.reduce((a, c) => a + c.area, 0) / rc.length },
  };
  if (boxProb !== undefined)
    f.box = { fraction: 0.05, cells: 1, prob: boxProb, drop: l1[0] - boxProb, answer: boxProb < 0.5 ? 'C' : 'B', changed: boxProb < 0.5 };
  return f;
}

describe('summarizeFaithfulness', () => {
  it('gives per-layer areas against random, drops per fraction, the key box and the most faithful layer', () => {
    const run = [
      rec('a', 'global', 'correct', { dimension: 'ocr', faithfulness: faith([0.8, 0.4, 0.2], [0.8, 0.8, 0.6], [[0.8, 0.7, 0.6]], 0.3) }),
      rec('b', 'global', 'correct', { dimension: 'count', faithfulness: faith([0.6, 0.6, 0.4], [0.6, 0.5, 0.5], [[0.6, 0.6, 0.6]], 0.6) }),
      rec('b', 'regional', 'correct'),
    ];
    const s = summarizeFaithfulness(run)!;
    expect(s.items).toBe(2);
    expect(s.fractions).toEqual([0.1, 0.2]);
    const area = (p: number[]) => ((p[0] + p[1]) / 2 + (p[1] + p[2]) / 2) / 2;
    expect(s.byLayer['1'].area.mean).toBeCloseTo((area([0.8, 0.4, 0.2]) + area([0.6, 0.6, 0.4])) / 2);
    expect(s.byLayer['1'].minusRandom.mean).toBeCloseTo(
      (area([0.8, 0.4, 0.2]) - area([0.8, 0.7, 0.6]) + area([0.6, 0.6, 0.4]) - area([0.6, 0.6, 0.6])) / 2,
    );
    expect(s.byLayer['1'].drop).toEqual([expect.closeTo(0.2, 10), expect.closeTo(0.4, 10)]);
    expect(s.byLayer['1'].changed).toEqual([0, 1]);
    expect(s.random.drop).toEqual([expect.closeTo(0.05, 10), expect.closeTo(0.1, 10)]);
    expect(s.box!.drop.mean).toBeCloseTo(0.25);
    expect(s.box!.changed).toBeCloseTo(0.5);
    expect(s.mostFaithfulLayer).toBe(1);
    expect(s.byDimension.ocr.byLayer['2']).toBeCloseTo(area([0.8, 0.8, 0.6]));
    expect(summarizeFaithfulness([rec('a', 'global', 'correct')])).toBeUndefined();
  });
});

describe('zoomNeedTransitions', () => {
  it('moves items between one pass, needs a zoom and unsolved, A to B', () => {
    const run = (g: Judgement[], r: Judgement[]) => g.flatMap((j, i) => [rec(`i${i}`, 'global', j), rec(`i${i}`, 'regional', r[i])]);
    const a = run(['wrong', 'wrong', 'correct', 'wrong', 'unjudged'], ['correct', 'correct', 'correct', 'wrong', 'correct']);
    const b = run(['correct', 'wrong', 'wrong', 'correct', 'correct'], ['correct', 'correct', 'correct', 'wrong', 'correct']);
    const t = zoomNeedTransitions(a, b)!;
    expect(t.items).toBe(4); // i4 is unjudged in A
    expect(t.counts.needsZoom.onePass).toBe(1);
    expect(t.counts.needsZoom.needsZoom).toBe(1);
    expect(t.counts.onePass.needsZoom).toBe(1);
    expect(t.counts.unsolved.onePass).toBe(1);
    expect(t.movedToOnePass).toEqual(['i0']);
    expect(t.lostOnePass).toEqual(['i2']);
    expect(
      zoomNeedTransitions(
        a.filter((r) => r.view === 'global'),
        b,
      ),
    ).toBeUndefined();
  });
});

describe('pairedSelfZoom', () => {
  it('pairs the self-zoom judgements item by item, with a paired bootstrap CI', () => {
    const run = (js: Judgement[]) => js.map((j, i) => rec(`i${i}`, 'global', 'wrong', { selfZoom: sz(j, 0.1, true) }));
    const a = run(['wrong', 'wrong', 'correct', 'correct', 'unjudged', 'wrong']);
    const b = run(['correct', 'correct', 'correct', 'wrong', 'correct', 'wrong']);
    const p = pairedSelfZoom(a, b)!;
    // i4 is unjudged in A; of the other five, B alone is right on two, A alone on one.
    expect(p).toMatchObject({ items: 5, onlyA: 1, onlyB: 2 });
    expect(p.delta).toBeCloseTo(1 / 5, 12);
    // The CI of the per-item differences [1, 1, 0, -1, 0] by the shared bootstrap (default seed).
    const ci = bootstrapCi([1, 1, 0, -1, 0]);
    expect([p.lo, p.hi]).toEqual([ci.lo, ci.hi]);
    expect(p.lo).toBeLessThan(p.delta);
    expect(p.hi).toBeGreaterThan(p.delta);
    expect(pairedSelfZoom(a, [])).toBeUndefined();
  });
});
