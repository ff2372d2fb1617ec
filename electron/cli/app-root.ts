// Finds the Loupe folder (the one with Loupe's package.json) from this file, whether it runs from
// source (electron/cli/...) or from a bundle (dist/electron/...), so default paths work in both.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function appRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'loupe') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find Loupe's package.json above ${from}.`);
    dir = parent;
  }
}

export const rendererDir = (root = appRoot()): string => join(root, 'dist', 'renderer');
