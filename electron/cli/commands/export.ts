// `loupe export RUN --format csv|json|grids|npz [--out FILE]`: per-item rows, the summary, the per-item
// attention grids, or the whole run as NumPy arrays (docs/exports.md), to a file or to stdout.
import { resolve } from 'node:path';
import { flag, parseCommand, str } from '../args.js';
import { EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { printJson } from './common.js';

export const exportUsage = `loupe export RUN [options]

  --format csv|json|grids|npz
                            per-item CSV (default), JSON summary, per-item attention grids (JSON),
                            or the run as NumPy arrays (.npz; layout and a loader in docs/exports.md)
  --out FILE|DIR            write here; a folder gets a name with model, bench and date
                            (default: print to stdout; npz needs --out)
  --runs DIR                results folder (default: the engine's runs folder)
  --json                    print {"path": ...} or {"text": ...} as JSON
`;

const FORMATS = ['csv', 'json', 'grids', 'npz'] as const;

export async function runExport(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseCommand('export', argv, { format: { type: 'string' }, out: { type: 'string' }, runs: { type: 'string' } });
  if (p.positionals.length !== 1) throw usageError(`loupe export needs one run id; got ${p.positionals.length}.`);
  const format = str(p, 'format') ?? 'csv';
  if (!(FORMATS as readonly string[]).includes(format)) throw usageError(`--format must be one of ${FORMATS.join(', ')}; got "${format}".`);
  const out = str(p, 'out');
  if (format === 'npz' && !out) throw usageError('--format npz writes a binary file: give --out FILE.npz (or a folder).');
  const runsDir = str(p, 'runs');
  const session = await ctx.openEngine(runsDir ? { runsDir: resolve(ctx.io.cwd, runsDir) } : {});
  try {
    const result = await session.client.call(
      'batch.export',
      { runId: p.positionals[0] as string, format: format as (typeof FORMATS)[number], ...(out ? { dest: resolve(ctx.io.cwd, out) } : {}) },
      { signal: ctx.signal },
    );
    if (flag(p, 'json')) printJson(ctx.io, result);
    else if (result.text !== undefined) ctx.io.out(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
    else if (result.path) ctx.io.err(`Wrote ${result.path}\n`);
    return EXIT.ok;
  } finally {
    await session.dispose();
  }
}
