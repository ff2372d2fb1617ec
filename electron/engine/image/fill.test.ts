import { describe, expect, it } from 'vitest';
import type { DecodedImage } from './decode.js';
import { fillRects, meanColour } from './fill.js';

function image(width: number, height: number, at: (x: number, y: number) => [number, number, number]): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(at(x, y), (y * width + x) * 3);
  return { name: 'synthetic', width, height, rgb, orientation: 1, protocol: 'paper', warnings: [] };
}

describe('mean fill', () => {
  const img = image(4, 3, (x, y) => [x * 10, y * 20, 200]);

  it('takes the mean of each channel over the whole image, rounded to 8-bit levels', () => {
    // x in 0..3 -> mean 15; y in 0..2 -> mean 20.
    expect(meanColour(img)).toEqual([15, 20, 200]);
  });

  it('fills exactly the rectangles (x2, y2 exclusive, fractional edges rounded outwards) and leaves the source alone', () => {
    const out = fillRects(
      img,
      [
        [1, 0, 2, 1],
        [2.5, 1.2, 3.1, 2],
      ],
      [1, 2, 3],
      'test',
    );
    const px = (x: number, y: number) => Array.from(out.rgb.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3));
    expect(px(1, 0)).toEqual([1, 2, 3]);
    expect(px(0, 0)).toEqual([0, 0, 200]);
    expect(px(2, 0)).toEqual([20, 0, 200]);
    expect(px(2, 1)).toEqual([1, 2, 3]);
    expect(px(3, 1)).toEqual([1, 2, 3]);
    expect(px(3, 2)).toEqual([30, 40, 200]);
    expect(Array.from(img.rgb.subarray(3, 6))).toEqual([10, 0, 200]);
    expect(out.name).toBe('synthetic [test]');
  });
});
