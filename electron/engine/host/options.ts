// Engine host settings. The shell passes them as a plain record (worker init message); anything absent
// falls back to the environment, then to defaults that work from a source checkout and from a bundle.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreprocessProtocol, TorchDtype } from '../../contract/types.js';

export interface EngineHostConfig {
  /** Holds models/ (bundled students) and bench/ (bundled benches). */
  resourcesDir: string;
  /** Batch runs: LOUPE_RUNS_DIR or ~/.loupe/runs. */
  runsDir: string;
  /** Extra folders to scan for model packages (each a package or a folder of packages). */
  modelDirs: string[];
  /** Extra benchmarks to open at start. */
  benchPaths: string[];
  version: string;
  /** PyTorch engine: precision when a load does not name one (LOUPE_DTYPE; default fp32). */
  torchDtype: TorchDtype;
  /** PyTorch engine: the protocol the memory guard plans a load for (LOUPE_PROTOCOL; default paper, as requests). */
  protocol: PreprocessProtocol;
  /** Both engines: the user's pixel budget (LOUPE_MAX_PIXELS), applied on top of the protocol's, at load and to requests without their own. */
  maxPixels?: number;
}

/** Walks up from this file to the folder holding package.json (source checkout, dist/ bundle, or app.asar). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

function readVersion(root: string | null): string {
  if (!root) return '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

export function resolveConfig(options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): EngineHostConfig {
  const root = packageRoot();
  const resourcesDir = resolve(str(options['resourcesDir']) ?? str(env['LOUPE_RESOURCES_DIR']) ?? join(root ?? process.cwd(), 'resources'));
  const runsDir = resolve(str(options['runsDir']) ?? str(env['LOUPE_RUNS_DIR']) ?? join(homedir(), '.loupe', 'runs'));
  const envModels = (str(env['LOUPE_MODEL_DIRS']) ?? '').split(':').filter(Boolean);
  const dtype = str(options['torchDtype']) ?? str(env['LOUPE_DTYPE']) ?? 'fp32';
  const protocol = str(options['protocol']) ?? str(env['LOUPE_PROTOCOL']) ?? 'paper';
  const maxPixels = Number(options['maxPixels'] ?? env['LOUPE_MAX_PIXELS'] ?? NaN);
  const cfg: EngineHostConfig = {
    resourcesDir,
    runsDir,
    modelDirs: [...strList(options['modelDirs']), ...envModels].map((d) => resolve(d)),
    benchPaths: strList(options['benchPaths']).map((p) => resolve(p)),
    version: str(options['version']) ?? readVersion(root),
    torchDtype: dtype === 'bf16' || dtype === 'fp16' ? dtype : 'fp32',
    protocol: protocol === 'hf' ? 'hf' : 'paper',
  };
  if (Number.isInteger(maxPixels) && maxPixels > 0) cfg.maxPixels = maxPixels;
  return cfg;
}
