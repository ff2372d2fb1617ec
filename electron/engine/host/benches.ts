// Benchmarks known to the host: bundled ones under resources/bench, and those the user opened. Opened
// benches stay in memory (items read their images lazily), keyed by BenchInfo.id (the absolute path).
import { realpathSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BenchInfo } from '../../contract/types.js';
import { openBenchmark, type LoadedBench } from '../bench/index.js';
import { NotFoundError } from '../errors.js';
import type { EngineHostConfig } from './options.js';

export class BenchRegistry {
  private readonly benches = new Map<string, LoadedBench>();
  private scanned = false;

  constructor(
    private readonly cfg: EngineHostConfig,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {}

  private async scan(): Promise<void> {
    if (this.scanned) return;
    this.scanned = true;
    const root = join(this.cfg.resourcesDir, 'bench');
    let names: string[] = [];
    try {
      names = (await readdir(root, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch {
      // No bundled benches (e.g. a trimmed install): nothing to list.
    }
    for (const name of names) await this.tryOpen(join(root, name), true);
    for (const p of this.cfg.benchPaths) await this.tryOpen(p, false);
  }

  private async tryOpen(path: string, bundled: boolean): Promise<void> {
    try {
      await this.open(path, bundled);
    } catch (err) {
      this.log('warn', `Benchmark ${path} could not be opened: ${(err as Error).message}`);
    }
  }

  async list(): Promise<BenchInfo[]> {
    await this.scan();
    return [...this.benches.values()].map((b) => b.info);
  }

  /**
   * Opens (or re-reads) a bench. The folder, its test.json and a symlink to either are one bench: it is
   * listed once, under the id it was first opened with (runs and open views refer to that id).
   */
  async open(path: string, bundled = false): Promise<LoadedBench> {
    const bench = await openBenchmark(resolve(path), { bundled });
    const file = realFile(bench.dataFile);
    const same = [...this.benches.values()].find((b) => realFile(b.dataFile) === file);
    const kept: LoadedBench = same
      ? { ...bench, info: { ...bench.info, id: same.info.id, path: same.info.path, bundled: same.info.bundled || bundled } }
      : bench;
    this.benches.set(kept.info.id, kept);
    return kept;
  }

  async get(benchId: string): Promise<LoadedBench> {
    await this.scan();
    const found = this.benches.get(benchId) ?? this.benches.get(resolve(benchId));
    if (found) return found;
    // An id is the bench's absolute path: a bench opened in an earlier session can be reopened from it.
    try {
      return await this.open(benchId);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`No benchmark ${benchId}; open it first.`, { file: benchId, cause: err });
      throw err;
    }
  }
}

function realFile(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
