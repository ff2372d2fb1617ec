// Coverage equality on real architectures (issue 25, deliverable 4): on the tiny Qwen2.5-VL and Qwen3-VL
// fixtures and eleven images (non-square, half-way rounding sizes, RGBA, CMYK, EXIF-rotated, tiny, 8K),
// Loupe's analysis under each protocol equals a Python reference that runs that protocol's chain
// (native-models/loupe_preprocess: decode, fetch_image under paper, the processor's resize) and the
// PyTorch model with eager output_attentions: paper-mode coverage of the box at every layer within 1e-4,
// the same grid and the same greedy answer. The last case runs the `loupe inspect` command itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box, PreprocessProtocol } from '../../electron/contract/types.js';
import { analyzeImage } from '../../electron/engine/analysis/analyze.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { metricsByLayer } from '../../electron/engine/metrics/index.js';
import { estimateMemory, HEADROOM, PAPER_MAX_PIXELS } from '../../electron/engine/model/memory-estimate.js';
import { loadRuntime, type ModelRuntime } from '../../electron/engine/model/runtime.js';
import { runPythonModule } from '../support/python-venv.js';
import { ROOT } from './fixtures.js';

const TOL = 1e-4;
const MAX_NEW_TOKENS = 6;
const QUESTION = 'What colour is the small sign in the top left corner of the image?';
const TIMEOUT_MS = 1_800_000;

interface Reference {
  image_size: [number, number];
  grid: [number, number];
  coverage: number[];
  answer_ids: number[];
}

interface Case {
  image: string;
  box: Box;
  protocol: PreprocessProtocol;
  /** Only the 8K image under paper: its 2048*1024-pixel fetch would make the PyTorch reference's eager
   * vision attention several GB on the test machine; the budget is the recorded user cap. */
  maxPixels?: number;
}

async function makeImages(dir: string): Promise<{ file: string; box: Box }[]> {
  const noise = (w: number, h: number, channels: 3 | 4) =>
    sharp({
      create: {
        width: w,
        height: h,
        channels,
        background: { r: 120, g: 90, b: 60, alpha: 0.6 },
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    });
  const out: { file: string; box: Box }[] = [];
  const add = async (file: string, img: Sharp, box: Box) => {
    writeFileSync(join(dir, file), await img.toBuffer());
    out.push({ file, box });
  };
  // Gradients make the attention depend on where things are; noise alone would not.
  const gradient = (w: number, h: number) => {
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        px[i] = (x * 255) / w;
        px[i + 1] = (y * 255) / h;
        px[i + 2] = ((x ^ y) * 7) & 255;
      }
    return sharp(px, { raw: { width: w, height: h, channels: 3 } });
  };
  await add('half-966x644.png', gradient(966, 644).png(), [100, 80, 400, 300]);
  await add('half-1022x768.jpg', gradient(1022, 768).jpeg({ quality: 90 }), [500, 400, 900, 700]);
  await add('qwen3-900x600.png', gradient(900, 600).png(), [0, 0, 300, 200]);
  await add('portrait-644x966.png', gradient(644, 966).png(), [50, 500, 600, 900]);
  await add('wide-1300x300.png', gradient(1300, 300).png(), [600, 50, 1200, 250]);
  await add('rgba-500x333.png', noise(500, 333, 4).png(), [10, 10, 250, 160]);
  await add('cmyk-400x300.jpg', gradient(400, 300).toColourspace('cmyk').jpeg({ quality: 92 }), [200, 100, 390, 290]);
  await add('exif6-400x300.jpg', gradient(400, 300).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }), [20, 20, 200, 150]);
  await add('exif3-320x240.jpg', gradient(320, 240).jpeg({ quality: 90 }).withMetadata({ orientation: 3 }), [0, 0, 160, 120]);
  await add('tiny-150x120.png', gradient(150, 120).png(), [30, 30, 90, 90]);
  await add('8k-7680x4320.jpg', gradient(7680, 4320).jpeg({ quality: 85 }), [1000, 500, 3000, 2000]);
  return out;
}

const families = [
  ['qwen2_5_vl', 'tiny-qwen2_5_vl'],
  ['qwen3_vl', 'tiny-qwen3_vl'],
] as const;

describe('coverage equality with the Python reference (paper and hf protocols)', () => {
  let dir = '';
  let cases: Case[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-coverage-'));
    const images = await makeImages(dir);
    cases = images.flatMap(({ file, box }) =>
      (['paper', 'hf'] as const).map((protocol) => ({
        image: join(dir, file),
        box,
        protocol,
        ...(file.startsWith('8k') && protocol === 'paper' ? { maxPixels: 200_704 } : {}),
      })),
    );
  }, TIMEOUT_MS);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [family, name] of families) {
    describe(name, () => {
      const pkg = join(ROOT, 'test/fixtures/models', name);
      let rt: ModelRuntime;
      let refs: Reference[] = [];
      beforeAll(async () => {
        rt = await loadRuntime(pkg, 'cpu');
        refs = runPythonModule<Reference[]>(
          'loupe_preprocess.coverage_reference',
          {
            family,
            package: pkg,
            cases: cases.map((c) => ({
              image: c.image,
              question: QUESTION,
              box: c.box,
              protocol: c.protocol,
              max_new_tokens: MAX_NEW_TOKENS,
              ...(c.maxPixels ? { max_pixels: c.maxPixels } : {}),
            })),
          },
          TIMEOUT_MS,
        );
      }, TIMEOUT_MS);
      afterAll(async () => {
        await rt?.dispose();
      });

      it(
        'every image under both protocols: same grid and greedy answer, paper coverage within 1e-4 at every layer',
        async () => {
          let worst = 0;
          for (const [i, c] of cases.entries()) {
            const label = `${c.image.split('/').pop()} ${c.protocol}`;
            const image = await decodeImage({ path: c.image }, { protocol: c.protocol });
            const r = await analyzeImage(rt, image, {
              question: QUESTION,
              maxNewTokens: MAX_NEW_TOKENS,
              withGeneric: false,
              box: c.box,
              preprocess: c.maxPixels ? { maxPixels: c.maxPixels } : {},
            });
            const ref = refs[i];
            expect([image.width, image.height], label).toEqual(ref.image_size);
            expect([r.geometry.gridH, r.geometry.gridW], label).toEqual(ref.grid);
            expect(
              r.tokens.map((t) => t.id),
              label,
            ).toEqual(ref.answer_ids);
            const byLayer = metricsByLayer({ attention: r.attention, geometry: r.geometry, box: c.box });
            ref.coverage.forEach((want, l) => {
              const got = byLayer[String(l + 1)].coveragePaper;
              worst = Math.max(worst, Math.abs(got - want));
              expect(Math.abs(got - want), `${label} layer ${l + 1}`).toBeLessThan(TOL);
            });
          }
          console.log(`${name}: ${cases.length} cases, largest paper-coverage difference ${worst.toExponential(2)}`);
        },
        TIMEOUT_MS,
      );

      it(
        "the engine's pixel budget (LOUPE_MAX_PIXELS) gives a request without one the reference of that budget",
        async () => {
          const i = cases.findIndex((c) => c.maxPixels !== undefined);
          const c = cases[i];
          const capped = await loadRuntime(pkg, 'cpu', { maxPixels: c.maxPixels });
          try {
            const image = await decodeImage({ path: c.image }, { protocol: c.protocol });
            const r = await analyzeImage(capped, image, {
              question: QUESTION,
              maxNewTokens: MAX_NEW_TOKENS,
              withGeneric: false,
              box: c.box,
            });
            expect([r.geometry.gridH, r.geometry.gridW]).toEqual(refs[i].grid);
            expect(r.tokens.map((t) => t.id)).toEqual(refs[i].answer_ids);
            expect(r.preprocess?.userMaxPixels).toBe(c.maxPixels);
          } finally {
            await capped.dispose();
          }
        },
        TIMEOUT_MS,
      );

      it(
        "the load guard plans for the budget a load names (models.load maxPixels), not only the protocol's",
        async () => {
          // RAM between what the package needs at 200,704 px and at the paper's 2048*1024 px
          const { dims } = rt.memory;
          const shape = { dtype: 'fp32' as const, device: 'cpu' as const, protocol: 'paper' as const, engine: 'onnx' as const };
          const small = estimateMemory(dims, { ...shape, maxPixels: 200_704 }).total;
          const paper = estimateMemory(dims, { ...shape, maxPixels: PAPER_MAX_PIXELS }).total;
          expect(paper).toBeGreaterThan(small);
          const budget = { device: 'cpu' as const, availableBytes: (small + paper) / 2 / HEADROOM, what: 'test RAM' };
          await expect(loadRuntime(pkg, 'cpu', { budget, protocol: 'paper' })).rejects.toThrow(/would need about .* but test RAM is/);
          const planned = await loadRuntime(pkg, 'cpu', { budget, protocol: 'paper', planPixels: 200_704 });
          // a plan is not a cap: requests keep the protocol's budget unless they name their own
          expect(planned.maxPixels).toBeUndefined();
          await planned.dispose();
        },
        TIMEOUT_MS,
      );

      it(
        '`loupe inspect --protocol paper --json` reports the reference coverage',
        () => {
          const c = cases[0];
          const out = spawnSync(
            process.execPath,
            [
              join(ROOT, 'bin/loupe.js'),
              'inspect',
              c.image,
              QUESTION,
              '--model',
              pkg,
              '--protocol',
              'paper',
              '--box',
              c.box.join(','),
              '--no-overlay',
              '--max-new-tokens',
              String(MAX_NEW_TOKENS),
              '--provider',
              'cpu',
              '--json',
            ],
            { encoding: 'utf8', timeout: 300_000, cwd: dir },
          );
          expect(out.status, out.stderr).toBe(0);
          const report = JSON.parse(out.stdout) as {
            coverageByLayer: Record<string, { coveragePaper: number }>;
            preprocess: { protocol: string };
          };
          expect(report.preprocess.protocol).toBe('paper');
          refs[0].coverage.forEach((want, l) =>
            expect(Math.abs(report.coverageByLayer[String(l + 1)].coveragePaper - want)).toBeLessThan(TOL),
          );
        },
        TIMEOUT_MS,
      );
    });
  }
});
