// `loupe merge SHARD... --out RUN`: combines the result stores of a sharded run (one `loupe bench
// --shard i/n` per cluster job) into one run. The store format belongs to the engine's batch module,
// so this delegates to its mergeRuns; it runs in-process (no model is loaded).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { mergeRuns, runDir } from '../../engine/batch/index.js';
import { resolveConfig } from '../../engine/host/options.js';
import { flag, parseCommand, str } from '../args.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { printJson } from './common.js';

export const mergeUsage = `loupe merge SHARD... --out RUN [options]

  Merges shard runs (written by \`loupe bench --shard i/n\`, one per cluster job) into one run.
  SHARD and RUN are run ids in the runs folder, or run folders. Items present in several shards are
  kept once. The merged run can be summarised, exported and compared like any other.

  --out RUN    run id (created in the runs folder) or a folder path for the merged run
  --runs DIR   runs folder (default: LOUPE_RUNS_DIR or ~/.loupe/runs)
  --json       machine-readable output
`;

/** A run id (no path separator) lives in the runs folder; anything else is a path. */
function runLocation(value: string, runsDir: string, cwd: string): string {
  return value.includes(sep) || value.includes('/') || isAbsolute(value) || value.startsWith('.')
    ? resolve(cwd, value)
    : runDir(runsDir, value);
}

export async function runMerge(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseCommand('merge', argv, { out: { type: 'string' }, runs: { type: 'string' } });
  const out = str(p, 'out');
  if (!out) throw usageError('loupe merge needs --out RUN for the merged run.');
  if (p.positionals.length < 1) throw usageError('loupe merge needs at least one shard run (id or folder).');
  const runsOption = str(p, 'runs');
  const runsDir = resolveConfig(runsOption ? { runsDir: resolve(ctx.io.cwd, runsOption) } : {}, ctx.io.env).runsDir;
  const sources = p.positionals.map((s) => runLocation(s, runsDir, ctx.io.cwd));
  for (const s of sources) if (!existsSync(s)) throw new CliError(`Shard run not found: ${s}`, EXIT.notFound);
  const dest = runLocation(out, runsDir, ctx.io.cwd);
  if (existsSync(dest)) throw new CliError(`${dest} already exists: choose a new --out so no results are overwritten.`, EXIT.usage);
  const result = mergeRuns(sources, dest);
  if (flag(p, 'json')) printJson(ctx.io, { ...result, dir: dest });
  else
    ctx.io.out(
      `Merged ${sources.length} shard runs into ${dest}: ${result.records} records (${result.duplicates} duplicates dropped). Run id: ${result.runId}\n`,
    );
  return EXIT.ok;
}
