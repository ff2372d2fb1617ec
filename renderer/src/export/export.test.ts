import { describe, expect, it } from 'vitest';
import { wrapLines } from './overlay.js';
import { legendLayout } from '../charts/legend.js';

describe('wrapLines', () => {
  const measure = (s: string) => s.length * 10;
  it('wraps on words within the width', () => {
    expect(wrapLines('model loupe-tiny-r2i · layer 3 · mean of 4 heads', 150, measure)).toEqual([
      'model',
      'loupe-tiny-r2i',
      '· layer 3 ·',
      'mean of 4 heads',
    ]);
  });
  it('keeps one long word on its own line', () => {
    expect(wrapLines('a verylongwordthatdoesnotfit b', 50, measure)).toEqual(['a', 'verylongwordthatdoesnotfit', 'b']);
  });
});

describe('legendLayout', () => {
  const measure = (s: string) => s.length * 6;
  it('places keys left to right and wraps them before they leave the chart', () => {
    const l = legendLayout(['■ global', '■ regional', '■ a third key'], 140, measure);
    expect(l.items.map((i) => [i.x, i.row])).toEqual([
      [0, 0],
      [60, 0],
      [0, 1],
    ]);
    expect(l.rows).toBe(2);
  });
});

describe('stackLabels', () => {
  it('moves a label that would overlap its neighbour to the next row', async () => {
    const { stackLabels } = await import('../charts/legend.js');
    expect(
      stackLabels([
        { x: 100, text: 'box share' },
        { x: 110, text: 'mean' },
        { x: 300, text: 'far' },
      ]),
    ).toEqual([0, 1, 0]);
  });
});
