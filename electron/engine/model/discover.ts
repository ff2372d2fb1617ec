// Finds model folders (ONNX packages and Hugging Face checkpoints, told apart by validate-any.ts): a folder is a candidate when it holds config.json (then it is validated and
// reported with its issues, so a half-copied export shows up with what is missing rather than vanishing).
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelInfo } from '../../contract/types.js';
import { SESSION_NAMES, sessionFile } from './package.js';
import { SAFETENSORS_INDEX } from './hf-checkpoint.js';
import { validateAnyModelDir } from './validate-any.js';

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

/** Sizes and modification times of the files validation reads: unchanged means the last result holds. */
async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const f of [
    'config.json',
    'preprocessor_config.json',
    'tokenizer_config.json',
    'tokenizer.json',
    'generation_config.json',
    'loupe.json',
    SAFETENSORS_INDEX,
    'model.safetensors',
    ...SESSION_NAMES.map(sessionFile),
  ]) {
    try {
      const st = await stat(join(dir, f));
      parts.push(`${f}:${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push(`${f}:-`);
    }
  }
  return parts.join('|');
}

export type DiscoveryCache = Map<string, { fingerprint: string; info: ModelInfo }>;

/**
 * Validated ModelInfo of every package under the roots (bundled roots first), de-duplicated by folder.
 * With a cache, a folder whose files have not changed is not validated (nor hashed) again.
 */
export async function discoverModels(roots: { dir: string; bundled: boolean }[], cache?: DiscoveryCache): Promise<ModelInfo[]> {
  const seen = new Set<string>();
  const out: ModelInfo[] = [];
  for (const root of roots) {
    for (const dir of await findPackageDirs(root.dir)) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      const fp = cache ? await fingerprint(dir) : '';
      const hit = cache?.get(dir);
      if (hit && hit.fingerprint === fp && hit.info.bundled === root.bundled) {
        out.push(hit.info);
        continue;
      }
      const info = (await validateAnyModelDir(dir, { bundled: root.bundled })).info;
      cache?.set(dir, { fingerprint: fp, info });
      out.push(info);
    }
  }
  return out;
}
