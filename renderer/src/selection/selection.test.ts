import { describe, expect, it } from 'vitest';
import { headLabel, labelled, layerLabel, protocolOf, recordLabel, selectionLabel, tokenLabel } from './labels.js';
import { DEFAULT_SELECTION, resolveSelection, type SelectionShape } from './selection.js';

const SHAPE: SelectionShape = { numLayers: 36, numHeads: 32, numQueries: 3, defaultLayer: 24, hasGeneric: true, activationTokens: 0 };

describe('resolveSelection', () => {
  it('is the paper measurement by default: default layer, head mean, prompt token', () => {
    expect(resolveSelection(DEFAULT_SELECTION, SHAPE)).toMatchObject({ from: 24, to: 24, head: 'mean', query: 0, norm: 'layerP99' });
  });
  it('clamps layers, orders a range and keeps it inside the model', () => {
    expect(resolveSelection({ ...DEFAULT_SELECTION, layer: 40 }, SHAPE)).toMatchObject({ from: 36, to: 36 });
    expect(resolveSelection({ ...DEFAULT_SELECTION, layer: 10, layerTo: 50 }, SHAPE)).toMatchObject({ from: 10, to: 36 });
    expect(resolveSelection({ ...DEFAULT_SELECTION, layer: 10, layerTo: 5 }, SHAPE)).toMatchObject({ from: 10, to: 10 });
  });
  it('falls back to the head mean for a head the model lacks, and to the 99th-percentile scale without generic maps', () => {
    expect(resolveSelection({ ...DEFAULT_SELECTION, head: 40 }, SHAPE).head).toBe('mean');
    expect(resolveSelection({ ...DEFAULT_SELECTION, head: 31 }, SHAPE).head).toBe(31);
    expect(resolveSelection({ ...DEFAULT_SELECTION, norm: 'relative' }, { ...SHAPE, hasGeneric: false }).norm).toBe('layerP99');
    expect(resolveSelection({ ...DEFAULT_SELECTION, norm: 'relative', query: 1 }, SHAPE).norm).toBe('layerP99');
    expect(resolveSelection({ ...DEFAULT_SELECTION, query: 9 }, SHAPE).query).toBe(2);
  });
});

describe('map kind', () => {
  it('shows activation only when the analysis has activation maps, one per answer token', () => {
    expect(resolveSelection({ ...DEFAULT_SELECTION, kind: 'activation' }, SHAPE).kind).toBe('attention');
    const withMaps = { ...SHAPE, activationTokens: 2 };
    expect(resolveSelection({ ...DEFAULT_SELECTION, kind: 'activation', query: 1 }, withMaps)).toMatchObject({
      kind: 'activation',
      query: 1,
    });
    // Query 2 produced no answer token with a map (the answer has 2 tokens): clamped to the last one.
    expect(resolveSelection({ ...DEFAULT_SELECTION, kind: 'activation', query: 2 }, withMaps).query).toBe(1);
    expect(resolveSelection({ ...DEFAULT_SELECTION, query: 2 }, withMaps)).toMatchObject({ kind: 'attention', query: 2 });
  });
  it('labels an activation map by the answer token it scores', () => {
    const sel = resolveSelection({ ...DEFAULT_SELECTION, kind: 'activation', query: 1 }, { ...SHAPE, activationTokens: 2 });
    const tokens = [
      { id: 1, text: 'B', prob: 0.9 },
      { id: 2, text: ' cat', prob: 0.5 },
    ];
    expect(selectionLabel({ sel, tokens, protocol: 'paper' })).toBe(
      'activation of answer token 2 “␣cat” · final hidden states (logit lens) · paper protocol',
    );
  });
});

describe('labels', () => {
  const tokens = [
    { id: 1, text: 'B', prob: 0.9 },
    { id: 2, text: ' cat', prob: 0.5 },
  ];
  it('name layer, heads, token and protocol', () => {
    const sel = resolveSelection({ ...DEFAULT_SELECTION, layer: 3 }, { ...SHAPE, numHeads: 16 });
    expect(selectionLabel({ sel, protocol: 'paper' })).toBe('layer 3 · mean of 16 heads · prompt token · paper protocol');
    expect(labelled('coverage', '29.8%', { sel, protocol: 'paper' })).toBe(
      'coverage 29.8% · layer 3 · mean of 16 heads · prompt token · paper protocol',
    );
    expect(selectionLabel({ sel })).toBe('layer 3 · mean of 16 heads · prompt token');
  });
  it('say ranges, single heads and answer tokens', () => {
    expect(layerLabel({ from: 2, to: 5 })).toBe('layers 2–5 (mean)');
    expect(headLabel(2, 16)).toBe('head h2 of 16');
    expect(headLabel('max', 4)).toBe('max of 4 heads');
    expect(tokenLabel(2, tokens)).toBe('answer token 2 “␣cat”');
    expect(tokenLabel(5)).toBe('answer token 5');
  });
  it('say what a run record measured', () => {
    expect(recordLabel(3)).toBe('layer 3 · mean of heads · prompt token · global view');
    expect(recordLabel(24, 'hf')).toBe('layer 24 · mean of heads · prompt token · global view · hf protocol');
  });
  it('read the protocol only when an object carries one', () => {
    expect(protocolOf({ protocol: 'paper' })).toBe('paper');
    expect(protocolOf({ preprocess: { protocol: 'hf' } })).toBe('hf');
    expect(protocolOf({})).toBeUndefined();
    expect(protocolOf(null)).toBeUndefined();
  });
});
