// Each step of Loupe's image pipeline against its Python statement, computed afresh by the project's venv
// (native-models/loupe_preprocess/conformance.py): smart_resize in both variants, the antialiased bicubic
// resize, rescale + normalise, and whole chains down to transformers' own pixel_values.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { runPythonModule } from '../../../test/support/python-venv.js';
import { decodeImage } from '../image/decode.js';
import { channelTable } from './patchify.js';
import { preprocessImage } from './pipeline.js';
import { resizeBicubicRgb } from './resample.js';
import { roundHalfEven, smartResizeHf, smartResizeQwenVlUtils } from './smart-resize.js';
import { FAMILY_CONFIGS } from './testing.js';

const MODULE = 'loupe_preprocess.conformance';

function sizeOf(t: { height: number; width: number }): [number, number] {
  return [t.height, t.width];
}

describe('smart_resize', () => {
  it('rounds halves to even as Python does', () => {
    expect([0.5, 1.5, 2.5, 34.5, 35.5, -0.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 34, 36, 0, 2, 3]);
  });

  it("gives the issue's grids: 966x644 and 1022x768 at 28 px, 900x600 through the paper's two resizes", () => {
    const big = 1 << 30;
    expect(sizeOf(smartResizeHf(644, 966, 28, 3136, big))).toEqual([644, 952]); // 23x34 tokens, not 23x35
    expect(smartResizeHf(768, 1022, 28, 3136, big).width).toBe(1008); // not 1036
    const fetch = smartResizeQwenVlUtils(600, 900, 28, 3136, 2048 * 1024);
    const second = smartResizeHf(fetch.height, fetch.width, 32, 65536, 2048 * 2048);
    expect([second.height / 32, second.width / 32]).toEqual([18, 28]);
  });

  it('equals Python on 4000 sizes, both variants, factors 28 and 32, every branch', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const cases: [number, number, number, number, number][] = [];
    for (let i = 0; i < 4000; i++) {
      const factor = i % 2 ? 28 : 32;
      // A third of the sides sit exactly half-way between multiples of the factor.
      const side = (): number => (rand(3) === 0 ? (rand(80) + 0.5) * factor : 1 + rand(i % 5 === 0 ? 9000 : 2500));
      const budgets: [number, number][] = [
        [3136, 12845056],
        [4096, 36864],
        [50176, 200704],
        [65536, 2048 * 2048],
        [3136, 2048 * 1024],
      ];
      const [lo, hi] = budgets[rand(budgets.length)];
      cases.push([side(), side(), factor, lo, hi]);
    }
    const py = runPythonModule<{ hf: ([number, number] | null)[]; qwen_vl_utils: ([number, number] | null)[] }>(MODULE, {
      op: 'smart_resize',
      cases,
    });
    const ts = (fn: typeof smartResizeHf) =>
      cases.map(([h, w, f, lo, hi]) => {
        try {
          return sizeOf(fn(h, w, f, lo, hi));
        } catch {
          return null;
        }
      });
    expect(ts(smartResizeHf)).toEqual(py.hf);
    expect(ts(smartResizeQwenVlUtils)).toEqual(py.qwen_vl_utils);
  });
});

describe('antialiased bicubic resize', () => {
  it("is bit-identical to PIL's Image.resize(BICUBIC) when shrinking, enlarging, on one axis, and on very tall images", () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-resize-'));
    const shapes = [
      [53, 37, 20, 30],
      [900, 600, 504, 336],
      [640, 480, 1288, 952],
      [100, 7, 30, 3],
      [300, 300, 300, 150],
      [301, 200, 28, 200],
      [1000, 10, 28, 28],
      [3, 2, 56, 56],
      // Over 100 times taller than wide and shrunk: Pillow resizes vertically first.
      [10, 2000, 28, 812],
      [10, 1001, 28, 100],
      [10, 1000, 28, 100],
    ];
    let seed = 7;
    const cases = shapes.map(([w, h, ow, oh], i) => {
      const src = new Uint8Array(w * h * 3).map((_, j) => {
        seed = (seed * 69069 + 1) >>> 0;
        // Smooth content plus noise: both ringing and clipping occur.
        return Math.max(0, Math.min(255, ((j % (w * 3)) * 7 + (seed >>> 24) - 64) & 255));
      });
      writeFileSync(join(dir, `${i}.in`), src);
      return { src: join(dir, `${i}.in`), w, h, ow, oh, dst: join(dir, `${i}.out`) };
    });
    runPythonModule(MODULE, { op: 'resize', cases });
    for (const c of cases) {
      const got = resizeBicubicRgb(new Uint8Array(readFileSync(c.src)), c.w, c.h, c.ow, c.oh);
      const want = new Uint8Array(readFileSync(c.dst));
      expect(got.length).toBe(want.length);
      let differing = 0;
      for (let j = 0; j < want.length; j++) if (got[j] !== want[j]) differing++;
      expect(differing, `${c.w}x${c.h} -> ${c.ow}x${c.oh}`).toBe(0);
    }
  });
});

describe('rescale and normalise', () => {
  it("every byte value maps to the processor's float32, exactly (both families)", () => {
    const families = ['qwen2_5_vl', 'qwen3_vl'] as const;
    const tables = runPythonModule<number[][][]>(MODULE, { op: 'normalise', families });
    for (const [f, family] of families.entries()) {
      const table = tables[f];
      const cfg = FAMILY_CONFIGS[family];
      for (let c = 0; c < 3; c++) {
        const lut = channelTable(cfg, c);
        for (let v = 0; v < 256; v++) expect(lut[v], `${family} channel ${c} value ${v}`).toBe(Math.fround(table[c][v]));
      }
    }
  });
});

describe('whole chains against transformers', () => {
  it("pixel_values and grids equal the Python processor's bit for bit (both protocols, both families)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-chain-'));
    const files: string[] = [];
    const add = async (name: string, img: Sharp) => {
      writeFileSync(join(dir, name), await img.toBuffer());
      files.push(name);
    };
    const noise = (w: number, h: number, ch: 3 | 4) =>
      sharp(Buffer.from(new Uint8Array(w * h * ch).map((_, j) => (j * 37 + ((j / ch) % w) * 3) & 255)), {
        raw: { width: w, height: h, channels: ch },
      });
    await add('a-321x207.png', noise(321, 207, 3).png());
    await add('b-966x644.png', noise(966, 644, 3).resize(483, 322).png());
    await add('c-rgba.png', noise(150, 90, 4).png());
    await add('d-exif6.jpg', noise(200, 120, 3).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }));
    const out = join(dir, 'out');
    const cases = files.flatMap((file) =>
      (['paper', 'hf'] as const).flatMap((protocol) =>
        (['qwen2_5_vl', 'qwen3_vl'] as const).map((family) => ({ file, protocol, family, out: `${file}.${protocol}.${family}.u8` })),
      ),
    );
    const want = runPythonModule<{ grid_thw: number[]; pixel_values_sha?: string; decoded: number[] }[]>(MODULE, {
      op: 'expect',
      dir,
      out,
      cases,
    });
    for (const [i, c] of cases.entries()) {
      const image = await decodeImage({ path: join(dir, c.file) }, { protocol: c.protocol });
      const { pixels, info } = preprocessImage(image, FAMILY_CONFIGS[c.family]);
      const label = `${c.file} ${c.protocol} ${c.family}`;
      expect([image.width, image.height], label).toEqual(want[i].decoded);
      expect(info.gridThw, label).toEqual(want[i].grid_thw);
      expect(want[i].pixel_values_sha, label).toBeDefined();
      const sha = createHash('sha256')
        .update(new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength))
        .digest('hex');
      expect(sha, label).toBe(want[i].pixel_values_sha);
    }
  });
});
