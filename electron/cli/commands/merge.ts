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
  SHARD and RUN are run ids in the runs folder, or run folders; a shard's run id ends in
  -shard<i>of<n>, so \`loupe merge RUNS/*-shard*of8 --out RUNS/merged\` picks the 8 shards of a run.
  Items present in several shards are kept once. The shards must share model, bench, views, settings
  and limit, and every shard 0..n-1 must be there. The merged run can be summarised, exported,
  compared and resumed like any other.

  --out RUN    run id (created in the runs folder) or a folder path for the merged run
  --runs DIR   runs folder (default: LOUPE_RUNS_DIR or ~/.loupe/runs)
  --partial    merge even if some shards are missing (the merged run is then unfinished: resume it
               with \`loupe bench\` on the unsharded spec to run the missing items)
  --json       machine-readable output
`;

/** A run id (no path separator) lives in the runs folder; anything else is a path. */
function runLocation(value: string, runsDir: string, cwd: string): string {
  return value.includes(sep) || value.includes('/') || isAbsolute(value) || value.startsWith('.')
    ? resolve(cwd, value)
    : runDir(runsDir, value);
}

export async function runMerge(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseCommand('merge', argv, { out: { type: 'string' }, runs: { type: 'string' }, partial: { type: 'boolean' } });
  const out = str(p, 'out');
  if (!out) throw usageError('loupe merge needs --out RUN for the merged run.');
  if (p.positionals.length < 1) throw usageError('loupe merge needs at least one shard run (id or folder).');
  const runsOption = str(p, 'runs');
  const runsDir = resolveConfig(runsOption ? { runsDir: resolve(ctx.io.cwd, runsOption) } : {}, ctx.io.env).runsDir;
  const sources = p.positionals.map((s) => runLocation(s, runsDir, ctx.io.cwd));
  for (const s of sources) if (!existsSync(s)) throw new CliError(`Shard run not found: ${s}`, EXIT.notFound);
  const dest = runLocation(out, runsDir, ctx.io.cwd);
  if (existsSync(dest)) throw new CliError(`${dest} already exists: choose a new --out so no results are overwritten.`, EXIT.usage);
  const result = mergeRuns(sources, dest, { allowMissingShards: flag(p, 'partial') });
  if (flag(p, 'json')) printJson(ctx.io, { ...result, dir: dest });
  else {
    ctx.io.out(
      `Merged ${sources.length} shard runs into ${dest}: ${result.records} records (${result.duplicates} duplicates dropped). Run id: ${result.runId}\n`,
    );
    if (result.missingShards.length > 0)
      ctx.io.out(
        `Partial: no run of shard index ${result.missingShards.join(', ')} was given; the merged run is marked unfinished (loupe bench on the unsharded spec resumes it).\n`,
      );
  }
  return EXIT.ok;
}
