// A short content hash of a model package: it keys batch results (a result must never be reused for a
// different checkpoint), so it covers the ONNX files and configs. Files up to 64 MiB are hashed whole;
// larger ones (real 2B-8B decoders) by size plus their first and last 4 MiB, which differ between any two
// trainings while keeping `models.list` fast on multi-gigabyte exports.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

const WHOLE_LIMIT = 64 * 1024 * 1024;
const EDGE = 4 * 1024 * 1024;

async function hashFile(path: string, h: ReturnType<typeof createHash>): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    h.update('\0missing\0');
    return;
  }
  try {
    const { size } = await fh.stat();
    h.update(`${size}\0`);
    const ranges: [number, number][] =
      size <= WHOLE_LIMIT
        ? [[0, size]]
        : [
            [0, EDGE],
            [size - EDGE, EDGE],
          ];
    const buf = Buffer.alloc(1 << 20);
    for (const [start, len] of ranges) {
      let done = 0;
      while (done < len) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, len - done), start + done);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        done += bytesRead;
      }
    }
  } finally {
    await fh.close();
  }
}

/** 12 hex characters over the named files (relative to dir), in the given order. */
export async function hashPackage(dir: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f}\0`);
    await hashFile(join(dir, f), h);
  }
  return h.digest('hex').slice(0, 12);
}
