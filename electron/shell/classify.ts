// What a path the user opened or dropped is: an image, a model folder, or a benchmark. Decides which
// shell event the renderer gets; anything else is refused (and not registered).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { OpenedKind } from '../transport/shell-protocol.js';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'bmp', 'avif'];
export const BENCH_EXTENSIONS = ['json', 'jsonl', 'parquet'];

function hasSafetensors(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.safetensors') || f === 'model.safetensors.index.json');
  } catch {
    return false;
  }
}

export function classifyPath(path: string): OpenedKind | null {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return null;
  }
  if (stat.isDirectory()) {
    if (existsSync(join(path, 'config.json')) && existsSync(join(path, 'onnx'))) return 'model';
    // A Hugging Face checkpoint (the PyTorch engine): safetensors weights or their shard index.
    if (existsSync(join(path, 'config.json')) && hasSafetensors(path)) return 'model';
    if (['test.json', 'test.parquet', join('data', 'test.parquet'), 'bench.json'].some((f) => existsSync(join(path, f)))) return 'bench';
    return null;
  }
  const ext = extname(path).slice(1).toLowerCase();
  if (IMAGE_EXTENSIONS.includes(ext)) return 'image';
  if (BENCH_EXTENSIONS.includes(ext)) return 'bench';
  return null;
}
