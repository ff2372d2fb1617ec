// Finds model packages: a folder is a candidate when it holds config.json (then it is validated and
// reported with its issues, so a half-copied export shows up with what is missing rather than vanishing).
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelInfo } from '../../contract/types.js';
import { validateModelDir } from './validate.js';

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function hasConfig(p: string): Promise<boolean> {
  try {
    return (await stat(join(p, 'config.json'))).isFile();
  } catch {
    return false;
  }
}

/** Package folders under `root`: root itself if it is one, else its immediate subfolders that are. */
export async function findPackageDirs(root: string): Promise<string[]> {
  const abs = resolve(root);
  if (!(await isDir(abs))) return [];
  if (await hasConfig(abs)) return [abs];
  const entries = await readdir(abs, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const dir = join(abs, e.name);
    // isDir follows symlinks: a linked package (e.g. to a shared models disk) counts.
    if ((e.isDirectory() || e.isSymbolicLink()) && (await isDir(dir)) && (await hasConfig(dir))) out.push(dir);
  }
  return out;
}

/** Validated ModelInfo of every package under the roots (bundled roots first), de-duplicated by folder. */
export async function discoverModels(roots: { dir: string; bundled: boolean }[]): Promise<ModelInfo[]> {
  const seen = new Set<string>();
  const out: ModelInfo[] = [];
  for (const root of roots) {
    for (const dir of await findPackageDirs(root.dir)) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      out.push((await validateModelDir(dir, { bundled: root.bundled })).info);
    }
  }
  return out;
}
