// How far transformers.js's resize (sharp affine bicubic, no antialiasing on downscale) is from PIL's
// bicubic (antialiased), which the Python side trains and evaluates with. Same oriented RGB pixels go
// into both; the difference is measured on the normalised pixel_values and in 8-bit levels. Needs the
// project's Python environment (native-models/setup-venv.sh: <repo>/.venv, or LOUPE_VENV; LOUPE_PYTHON names
// an interpreter directly); skipped without it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodedImage } from '../engine/image/decode.js';
import type { ModelRuntime } from '../engine/model/runtime.js';
import { RawImage } from '../engine/model/transformers.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTHON = process.env['LOUPE_PYTHON'] ?? join(process.env['LOUPE_VENV'] ?? join(REPO, '.venv'), 'bin', 'python');

export interface ResizeFilterDiff {
  image: string;
  from: [number, number];
  to: [number, number];
  maxAbs: number;
  meanAbs: number;
  p99Abs: number;
  /** The same, in 8-bit levels of the resized image (normalised difference x std x 255, std averaged over channels). */
  maxLevels: number;
  meanLevels: number;
}

const SCRIPT = `
import json, sys
import numpy as np
from PIL import Image
d, h, w, rh, rw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
pre = json.load(open(sys.argv[6]))
rgb = np.fromfile(d + '/rgb.bin', dtype=np.uint8).reshape(h, w, 3)
arr = np.asarray(Image.fromarray(rgb).resize((rw, rh), Image.BICUBIC), dtype=np.float32) / 255.0
mean = np.array(pre['image_mean'], dtype=np.float32); std = np.array(pre['image_std'], dtype=np.float32)
arr = (arr - mean) / std
p, m, t = pre['patch_size'], pre['merge_size'], pre['temporal_patch_size']
chw = arr.transpose(2, 0, 1); c = chw.shape[0]; gh, gw = rh // p, rw // p
x = np.stack([chw] * t).reshape(1, t, c, gh // m, m, p, gw // m, m, p).transpose(0, 3, 6, 4, 7, 2, 1, 5, 8).reshape(gh * gw, -1)
js = np.fromfile(d + '/pv.bin', dtype=np.float32).reshape(x.shape)
diff = np.abs(x - js); s = float(std.mean()) * 255
print(json.dumps({'maxAbs': float(diff.max()), 'meanAbs': float(diff.mean()), 'p99Abs': float(np.percentile(diff, 99)), 'maxLevels': float(diff.max()) * s, 'meanLevels': float(diff.mean()) * s}))
`;

export async function measureResizeFilter(rt: ModelRuntime, image: DecodedImage): Promise<ResizeFilterDiff | null> {
  if (!existsSync(PYTHON)) return null;
  const out = await rt.processor.image_processor(new RawImage(image.rgb, image.width, image.height, 3));
  const [rh, rw] = out.reshaped_input_sizes[0];
  const dir = mkdtempSync(join(tmpdir(), 'loupe-resize-'));
  try {
    writeFileSync(join(dir, 'rgb.bin'), image.rgb);
    const pv = out.pixel_values.data as Float32Array;
    writeFileSync(join(dir, 'pv.bin'), Buffer.from(pv.buffer, pv.byteOffset, pv.byteLength));
    const text = execFileSync(
      PYTHON,
      ['-c', SCRIPT, dir, String(image.height), String(image.width), String(rh), String(rw), join(rt.info.dir, 'preprocessor_config.json')],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(text) as Omit<ResizeFilterDiff, 'image' | 'from' | 'to'>;
    return { image: image.name, from: [image.width, image.height], to: [rw, rh], ...r };
  } catch {
    return null; // venv without PIL/numpy: nothing to compare against
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
