import { describe, expect, it } from 'vitest';
import { ProgressRate } from './progress-rate.js';

describe('ProgressRate', () => {
  it('has no rate before two marks', () => {
    const r = new ProgressRate(30_000, 2);
    expect(r.perSecond(0)).toBe(0);
    expect(r.eta(10, 0)).toBeNull();
    r.add(0);
    expect(r.eta(10, 500)).toBeNull();
  });

  it('follows a slowdown within the window instead of averaging the whole run', () => {
    const r = new ProgressRate(10_000, 3);
    // 100 units at 10/s, then 10 units at 1/s.
    let t = 0;
    r.add(t);
    for (let i = 0; i < 100; i++) r.add((t += 100));
    expect(r.perSecond(t)).toBeCloseTo(10, 6);
    for (let i = 0; i < 10; i++) r.add((t += 1000));
    // The whole-run rate would be 110 units / 20 s = 5.5/s; the last 10 s hold only the slow units.
    expect(r.perSecond(t)).toBeCloseTo(1, 1);
    expect(r.eta(30, t)).toBeCloseTo(30, 0);
  });

  it('lets the rate fall while nothing completes', () => {
    const r = new ProgressRate(10_000, 2);
    r.add(0);
    r.add(1000);
    r.add(2000);
    expect(r.perSecond(2000)).toBeCloseTo(1, 6);
    expect(r.perSecond(4000)).toBeCloseTo(0.5, 6);
  });

  it('counts units per mark (an item with both views completes two)', () => {
    const r = new ProgressRate(10_000, 2);
    r.add(0, 2);
    r.add(1000, 2);
    r.add(2000, 2);
    expect(r.perSecond(2000)).toBeCloseTo(2, 6);
    expect(r.eta(0, 2000)).toBe(0);
  });
});
