// Self-zoom and faithfulness on the bundled students and the tiny real-architecture fixtures, against
// stored expected outputs (test/fixtures/analyses/expected.json): the crop, its IoU with the key box,
// the answer on the crop, and every deletion pass's first-token probability and answer. The stored file
// is rewritten, instead of compared, only when LOUPE_WRITE_EXPECTED=1 (after a deliberate change to the
// models or the analyses; review its diff). Also checks the parts against their own definitions: the crop
// is selfZoomCrop of the map, the deletion curves' areas are deletionArea of their points, and a deletion
// pass equals the normal analysis of the mean-filled image.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Box } from '../../electron/contract/types.js';
import { analyzeImageWithLogits } from '../../electron/engine/analysis/analyze.js';
import { analyzeWithAnalyses } from '../../electron/engine/analysis/with-analyses.js';
import { decodeImage, type DecodedImage } from '../../electron/engine/image/decode.js';
import { fillRects } from '../../electron/engine/image/fill.js';
import { cellCount, cellRects, deletionArea, headAggregate, selfZoomCrop, topCells } from '../../electron/engine/metrics/index.js';
import { loadRuntime, type ModelRuntime } from '../../electron/engine/model/runtime.js';
import { softmaxAt } from '../../electron/engine/model/tensors.js';
import { ROOT } from './fixtures.js';

const EXPECTED = join(ROOT, 'test/fixtures/analyses/expected.json');
const WRITE = process.env['LOUPE_WRITE_EXPECTED'] === '1';
const PROB_TOL = 1e-4;

interface Case {
  name: string;
  modelDir: string;
  image: string;
  question: string;
  box: Box;
  crop: { mode: 'fixed'; fraction: number } | { mode: 'adaptive'; baseSide: number };
}

const bench = join(ROOT, 'resources/bench/loupe-mini');
const item = (JSON.parse(readFileSync(join(bench, 'test.json'), 'utf8')) as { images: string[]; query: string; bbox: Box }[])[0];
const CASES: Case[] = [
  ...['loupe-tiny-base', 'loupe-tiny-r2i'].map((m) => ({
    name: m,
    modelDir: join(ROOT, 'resources/models', m),
    image: join(bench, item.images[0]),
    question: item.query,
    box: item.bbox,
    crop: { mode: 'fixed' as const, fraction: 0.5 },
  })),
  ...['tiny-qwen2_5_vl', 'tiny-qwen3_vl'].map((m) => ({
    name: m,
    modelDir: join(ROOT, 'test/fixtures/models', m),
    image: join(ROOT, 'test/fixtures/models', m, 'parity-image.png'),
    question: 'What is in the box?',
    box: [8, 8, 40, 40] as Box,
    crop: { mode: 'adaptive' as const, baseSide: 24 },
  })),
];

type Summary = Record<string, unknown>;
const written: Record<string, Summary> = {};
const expected: Record<string, Summary> = existsSync(EXPECTED)
  ? (JSON.parse(readFileSync(EXPECTED, 'utf8')) as Record<string, Summary>)
  : {};

afterAll(() => {
  if (WRITE) writeFileSync(EXPECTED, `${JSON.stringify(written, null, 1)}\n`);
});

/** Compares numbers to PROB_TOL and everything else exactly. */
function expectNear(actual: unknown, want: unknown, path: string): void {
  if (typeof want === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - want), `${path}: ${String(actual)} vs ${want}`).toBeLessThanOrEqual(PROB_TOL);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(want.length);
    want.forEach((w, i) => expectNear((actual as unknown[])[i], w, `${path}[${i}]`));
  } else if (want && typeof want === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectNear((actual as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else expect(actual, path).toEqual(want);
}

describe.each(CASES)('self-zoom and faithfulness on $name', (c) => {
  it('match the stored expected outputs and their definitions', async () => {
    const rt: ModelRuntime = await loadRuntime(c.modelDir, 'cpu');
    try {
      const image: DecodedImage = await decodeImage({ path: c.image });
      const layer = rt.info.defaultLayer;
      const result = await analyzeWithAnalyses(rt, image, {
        question: c.question,
        box: c.box,
        maxNewTokens: 6,
        selfZoom: { crop: c.crop },
        faithfulness: { fractions: [0.05, 0.2], randomSeeds: 2 },
      });
      const sz = result.selfZoom!;
      const f = result.faithfulness!;
      const g = result.geometry;

      // The crop is the metrics module's crop of the default layer's head-mean map.
      const map = headAggregate(result.attention, layer, 'mean', 0);
      expect(sz.window).toEqual(selfZoomCrop(map, g, g, c.crop).window);
      expect(sz.geometry.cropInFull).toEqual(sz.box);
      // Curves start at the original probability and their areas are deletionArea of their points.
      for (const curve of [...Object.values(f.attention), ...f.random.curves]) {
        expect(curve.points[0]).toMatchObject({ fraction: 0, prob: f.token.prob, drop: 0, changed: false });
        expect(curve.area).toBeCloseTo(deletionArea(curve.points), 12);
      }
      // The 20% point of the attention curve is the normal analysis of the mean-filled image.
      const cells = g.gridH * g.gridW;
      const filled = fillRects(image, cellRects(topCells(map, cellCount(0.2, cells)), g, g), f.fill, 'check');
      const again = await analyzeImageWithLogits(rt, filled, { question: c.question, maxNewTokens: 6, withGeneric: false });
      const last = f.attention[String(layer)].points[2];
      expect(last.prob).toBe(softmaxAt(again.firstLogits, f.token.id));
      expect(last.answer).toBe(again.result.answer);

      const summary: Summary = {
        answer: result.answer,
        selfZoom: {
          box: sz.box,
          window: sz.window,
          iou: sz.iou,
          centreInside: sz.centreInside,
          windowMass: sz.windowMass,
          answer: sz.answer,
        },
        faithfulness: {
          fill: f.fill,
          token: f.token,
          attention: Object.fromEntries(
            Object.entries(f.attention).map(([l, cv]) => [l, { area: cv.area, points: cv.points.map((p) => [p.cells, p.prob, p.answer]) }]),
          ),
          random: f.random.curves.map((cv) => cv.points.map((p) => [p.cells, p.prob, p.answer])),
          box: f.box ? [f.box.cells, f.box.prob, f.box.answer] : null,
        },
      };
      written[c.name] = summary;
      if (!WRITE) {
        expect(expected[c.name], `no stored expectation for ${c.name} in ${EXPECTED}: run with LOUPE_WRITE_EXPECTED=1`).toBeDefined();
        expectNear(summary, expected[c.name], c.name);
      }
    } finally {
      await rt.dispose();
    }
  }, 120_000);
});
