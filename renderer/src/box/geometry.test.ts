import { describe, expect, it } from 'vitest';
import { isValidBox, moveBox, normalizeBox, parseBoxDraft, resizeBox } from './geometry.js';

describe('parseBoxDraft', () => {
  it('accepts a box inside the image as typed', () => {
    expect(parseBoxDraft(['10', '20', '300', '400.5'], 800, 600)).toEqual({ box: [10, 20, 300, 400.5] });
    expect(parseBoxDraft(['0', '0', '800', '600'], 800, 600)).toEqual({ box: [0, 0, 800, 600] });
  });
  it('never swaps inverted corners', () => {
    expect(parseBoxDraft(['500', '20', '300', '400'], 800, 600)).toEqual({ error: 'x2 (300) must be greater than x1 (500).', field: 'x2' });
    expect(parseBoxDraft(['5', '40', '30', '40'], 800, 600)).toEqual({ error: 'y2 (40) must be greater than y1 (40).', field: 'y2' });
  });
  it('never clamps into the image', () => {
    expect(parseBoxDraft(['10', '20', '880', '400'], 800, 600)).toEqual({
      error: 'x2 = 880 is outside the image (0–800 px wide).',
      field: 'x2',
    });
    expect(parseBoxDraft(['10', '-1', '80', '400'], 800, 600)).toMatchObject({ field: 'y1' });
  });
  it('names empty and non-numeric fields', () => {
    expect(parseBoxDraft(['', '20', '80', '400'], 800, 600)).toEqual({ error: 'x1 is empty.', field: 'x1' });
    expect(parseBoxDraft(['10', 'NaN', '80', '400'], 800, 600)).toEqual({ error: 'y1 "NaN" is not a number.', field: 'y1' });
  });
});

describe('drawing geometry', () => {
  it('normalises a dragged box (drawing may go in any direction) and keeps moves inside', () => {
    expect(normalizeBox([300, 400, 100, 50], 800, 600)).toEqual([100, 50, 300, 400]);
    expect(moveBox([700, 10, 790, 60], 50, 0, 800, 600)).toEqual([710, 10, 800, 60]);
    expect(resizeBox([10, 10, 50, 50], 'se', 70, 80, 800, 600)).toEqual([10, 10, 70, 80]);
    expect(isValidBox([10, 10, 10.5, 20])).toBe(false);
  });
});
