// Helpers shared by the commands: choosing a model or benchmark from a path or a name, and output.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EngineClient } from '../../contract/api.js';
import type { BenchInfo, ModelInfo } from '../../contract/types.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** The model the CLI uses when none is named: the R2I student if bundled, else the first usable one. */
const PREFERRED_DEFAULT = /r2i/i;

function describeModels(models: ModelInfo[]): string {
  return models.length ? models.map((m) => `  ${m.name}  (${m.dir})`).join('\n') : '  (none found)';
}

/** `value`: a model folder, or the name/id of a model the engine already knows (bundled ones). */
export async function pickModel(client: EngineClient, io: CliIo, value: string | undefined): Promise<ModelInfo> {
  let model: ModelInfo | undefined;
  if (value !== undefined && existsSync(resolve(io.cwd, value))) {
    model = await client.call('models.open', { dir: resolve(io.cwd, value) });
  } else {
    const models = await client.call('models.list', {});
    if (value !== undefined) {
      model = models.find((m) => m.name === value || m.id === value);
      if (!model)
        throw new CliError(`No model named "${value}" and no such folder. Known models:\n${describeModels(models)}`, EXIT.notFound);
    } else {
      const usable = models.filter((m) => m.issues.length === 0);
      model = usable.find((m) => PREFERRED_DEFAULT.test(m.name)) ?? usable[0];
      if (!model)
        throw new CliError(
          `No usable model found: pass --model DIR (a transformers.js Qwen-VL ONNX folder). Known models:\n${describeModels(models)}`,
          EXIT.notFound,
        );
    }
  }
  if (model.issues.length > 0) {
    const issues = model.issues.map((i) => `  ${i.file}${i.field ? ` (${i.field})` : ''}: ${i.message}`).join('\n');
    throw new CliError(`The model folder ${model.dir} is not usable:\n${issues}`, EXIT.invalidModel);
  }
  // a package whose export was never verified (or failed verification) still runs, with a warning
  if (model.parity?.warning) io.err(`warning: ${model.parity.warning}\n`);
  return model;
}

/** `value`: a benchmark file/folder, or the name/id of a known (bundled) benchmark. */
export async function pickBench(client: EngineClient, io: CliIo, value: string | undefined): Promise<BenchInfo> {
  if (value !== undefined && existsSync(resolve(io.cwd, value))) return client.call('bench.open', { path: resolve(io.cwd, value) });
  const benches = await client.call('bench.list', {});
  const bench = value === undefined ? benches[0] : benches.find((b) => b.name === value || b.id === value);
  if (!bench) {
    const known = benches.map((b) => `  ${b.name}  (${b.path})`).join('\n') || '  (none found)';
    throw new CliError(
      `${value === undefined ? 'No benchmark given and none bundled' : `No benchmark named "${value}" and no such file`}. Known benchmarks:\n${known}`,
      EXIT.notFound,
    );
  }
  return bench;
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
}

export const fmt = (x: number | undefined, digits = 4): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
export const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`);
