import { describe, expect, it } from 'vitest';
import type { AttentionMaps } from '../../contract/types.js';
import { headAggregate, layerRangeAggregate, visualMass } from './aggregate.js';

/** data[((q * L + l) * H + h) * cells + c] = 1000q + 100l + 10h + c, so every entry names its own index. */
function labelled(numQueries: number, numLayers: number, numHeads: number, gridH: number, gridW: number): AttentionMaps {
  const cells = gridH * gridW;
  const data = new Float32Array(numQueries * numLayers * numHeads * cells);
  for (let q = 0; q < numQueries; q++)
    for (let l = 0; l < numLayers; l++)
      for (let h = 0; h < numHeads; h++)
        for (let c = 0; c < cells; c++) data[((q * numLayers + l) * numHeads + h) * cells + c] = 1000 * q + 100 * l + 10 * h + c;
  return { numQueries, numLayers, numHeads, gridH, gridW, data };
}

describe('head and layer aggregation', () => {
  const maps = labelled(2, 3, 4, 2, 3);
  it('reads the documented layout with 1-based layers', () => {
    // layer 2 (index 1), head 3, query 1: 1000 + 100 + 30 + c
    expect(Array.from(headAggregate(maps, 2, { head: 3 }, 1))).toEqual([1130, 1131, 1132, 1133, 1134, 1135]);
    // mean over heads 0..3 adds 15 on average: 10 * 1.5
    expect(Array.from(headAggregate(maps, 1, 'mean', 0))).toEqual([15, 16, 17, 18, 19, 20]);
    expect(Array.from(headAggregate(maps, 3, 'max', 0))).toEqual([230, 231, 232, 233, 234, 235]);
  });
  it('averages head-aggregated maps over a layer range', () => {
    // layers 1..3 mean: 100 * 1 + 15 + c
    expect(Array.from(layerRangeAggregate(maps, 1, 3))).toEqual([115, 116, 117, 118, 119, 120]);
    expect(Array.from(layerRangeAggregate(maps, 2, 2, 'max', 1))).toEqual(Array.from(headAggregate(maps, 2, 'max', 1)));
  });
  it('visual mass is the head-mean sum', () => {
    expect(visualMass(maps, 1)).toBe(15 + 16 + 17 + 18 + 19 + 20);
  });
  it('names the valid range when out of bounds', () => {
    expect(() => headAggregate(maps, 0)).toThrow(/1\.\.3 \(1-based\)/);
    expect(() => headAggregate(maps, 4)).toThrow(/out of range/);
    expect(() => headAggregate(maps, 1, { head: 4 })).toThrow(/Head 4/);
    expect(() => headAggregate(maps, 1, 'mean', 2)).toThrow(/Query 2/);
    expect(() => layerRangeAggregate(maps, 3, 2)).toThrow(/empty/);
    expect(() => headAggregate({ ...maps, data: new Float32Array(5) }, 1)).toThrow(/needs/);
  });
});
