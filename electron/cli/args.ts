// Command-line parsing on node:util's parseArgs, plus the value formats Loupe's commands share
// (boxes, shards, layer lists, views). Every failure is a usage error that names the option.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Box, PreprocessChoice, View } from '../contract/types.js';
import { usageError } from './exit-codes.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseCommand(command: string, argv: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw usageError(`loupe ${command}: ${message}. Run \`loupe ${command} --help\`.`);
  }
}

export function str(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function strs(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

export function parseIntOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw usageError(`--${name} must be an integer >= ${min}; got "${value}".`);
  return n;
}

/** `--box x1,y1,x2,y2` in original image pixels (as ZoomBench's bbox). */
export function parseBox(value: string | undefined): Box | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((p) => !Number.isFinite(p))) {
    throw usageError(`--box must be four numbers x1,y1,x2,y2 in image pixels; got "${value}".`);
  }
  const [x1, y1, x2, y2] = parts as Box;
  if (x2 <= x1 || y2 <= y1) throw usageError(`--box needs x2 > x1 and y2 > y1; got "${value}".`);
  return [x1, y1, x2, y2];
}

/** `--shard i/n`: keep items whose index % n == i (0-based i). */
export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw usageError(`--shard must be i/n with 0 <= i < n (e.g. 0/4); got "${value}".`);
  return { index, count };
}

/** `--layers 1,4,20-24` (1-based) or `all`. Empty list = all layers. */
export function parseLayers(value: string | undefined): number[] {
  if (value === undefined || value.trim() === 'all') return [];
  const out = new Set<number>();
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw usageError(`--layers must look like 1,4,20-24 (1-based) or "all"; got "${value}".`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from) throw usageError(`--layers: bad range "${part.trim()}" (layers are 1-based).`);
    for (let l = from; l <= to; l++) out.add(l);
  }
  return [...out].sort((a, b) => a - b);
}

/** `--views global,regional` (default both). */
export function parseViews(value: string | undefined): View[] {
  if (value === undefined) return ['global', 'regional'];
  const views = value.split(',').map((v) => v.trim());
  for (const v of views) if (v !== 'global' && v !== 'regional') throw usageError(`--views takes global and/or regional; got "${v}".`);
  return [...new Set(views)] as View[];
}

/** Options of the commands that prepare images: the preprocessing protocol and the pixel budget. */
export const PREPROCESS_OPTIONS = {
  protocol: { type: 'string' },
  'max-pixels': { type: 'string' },
} as const satisfies OptionSpec;

export const PREPROCESS_USAGE = `  --protocol P          image preparation: paper (the paper's scripts' chain: no EXIF rotation,
                        alpha onto white, 2048*1024 then 2048*2048 pixel budgets) or hf (transformers'
                        own path with the checkpoint's processor config); default: what the model
                        package names in loupe.json, else paper (docs/preprocessing.md)
  --max-pixels N        lower pixel budget for the processor's resize (e.g. 1003520 = 1280 tokens
                        of 28 px); recorded with the results; the memory guard plans the model's
                        load for it`;

/** \`--protocol paper|hf\` and \`--max-pixels N\`; an empty choice when neither is given. */
export function parsePreprocess(parsed: Parsed): PreprocessChoice {
  const out: PreprocessChoice = {};
  const protocol = str(parsed, 'protocol');
  if (protocol !== undefined) {
    if (protocol !== 'paper' && protocol !== 'hf') throw usageError(`--protocol must be paper or hf; got "${protocol}".`);
    out.protocol = protocol;
  }
  const maxPixels = parseIntOption(str(parsed, 'max-pixels'), 'max-pixels', 1);
  if (maxPixels !== undefined) out.maxPixels = maxPixels;
  return out;
}
