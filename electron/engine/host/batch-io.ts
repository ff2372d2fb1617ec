// Run exports and checkpoint comparison (batch module functions) bound to the host's runs folder.
// Formats of `batch.export`: 'csv' = one row per record (every metric of every recorded layer),
// 'json' = the run summary, 'grids' = per-item head-mean attention grids, 'npz' = all of a run's arrays
// for NumPy (docs/exports.md). With `dest` the file is written there (into `<dest>/<name>` when dest is
// a folder, named after model, bench and date) and the path returned.
import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportFormat } from '../../contract/api.js';
import type { CompareSummary } from '../../contract/types.js';
import { compareRecords, gridsToJson, recordsToCsv, ResultStore, runToNpz, summarizeRun, summaryToJson } from '../batch/index.js';
import type { RunMeta } from '../batch/types.js';
import { summarizeFaithfulness, summarizeSelfZoom } from '../batch/analyses-summary.js';
import { compareAnalyses } from '../batch/compare-analyses.js';
import { exportName } from '../formats/names.js';
import { BadRequestError } from '../errors.js';

const EXT = { csv: 'records.csv', json: 'summary.json', grids: 'grids.json', npz: 'npz' } as const;

/** "loupe-tiny-r2i_loupe-mini_2026-11-21_<runId>.records.csv": what is in the file, before which run. */
export function exportFileName(meta: Pick<RunMeta, 'runId' | 'model' | 'bench' | 'startedAt'>, format: ExportFormat): string {
  return exportName({ model: meta.model.name, subject: meta.bench.name, date: meta.startedAt, detail: [meta.runId] }, EXT[format]);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export async function exportRunInDir(
  runsDir: string,
  runId: string,
  format: ExportFormat,
  dest?: string,
): Promise<{ path?: string; text?: string; bytes?: Uint8Array }> {
  if (!(format in EXT))
    throw new BadRequestError(`format must be csv, json, grids or npz; got ${JSON.stringify(format)}.`, { field: 'format' });
  const store = new ResultStore(runsDir, runId);
  const records = store.read().records;
  const meta = store.readMeta();
  let out: string | Uint8Array;
  if (format === 'csv') out = recordsToCsv(records);
  else if (format === 'grids') out = gridsToJson(records);
  else if (format === 'npz') out = runToNpz(records, meta);
  else {
    out = summaryToJson(
      summarizeRun(records, {
        runId,
        spec: meta.spec,
        modelName: meta.model.name,
        benchName: meta.bench.name,
        total: meta.total,
        defaultLayer: meta.model.defaultLayer,
      }),
    );
  }
  if (!dest) return typeof out === 'string' ? { text: out } : { bytes: out };
  const path = isDir(dest) ? join(resolve(dest), exportFileName(meta, format)) : resolve(dest);
  writeFileSync(path, out);
  return { path };
}

export async function compareRunsInDir(runsDir: string, runA: string, runB: string, layer?: number): Promise<CompareSummary> {
  const a = new ResultStore(runsDir, runA);
  const b = new ResultStore(runsDir, runB);
  const chosen = layer ?? a.readMeta().model.defaultLayer;
  if (!Number.isInteger(chosen) || chosen < 1)
    throw new BadRequestError(`layer must be a positive integer (1-based); got ${chosen}.`, { field: 'layer' });
  const ra = a.read().records;
  const rb = b.read().records;
  const summary = compareRecords(ra, rb, { runA, runB, layer: chosen });
  const analyses = compareAnalyses(
    { selfZoom: summarizeSelfZoom(ra), faithfulness: summarizeFaithfulness(ra) },
    { selfZoom: summarizeSelfZoom(rb), faithfulness: summarizeFaithfulness(rb) },
    chosen,
    { a: ra, b: rb },
  );
  return analyses ? { ...summary, analyses } : summary;
}
