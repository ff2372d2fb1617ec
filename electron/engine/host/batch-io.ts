// Run exports and checkpoint comparison (batch module functions) bound to the host's runs folder.
// Formats of `batch.export`: 'csv' = one row per record (every metric of every recorded layer),
// 'json' = the run summary, 'grids' = per-item head-mean attention grids. With `dest` the text is
// written there (into `<dest>/<runId>.<ext>` when dest is a folder) and the path returned.
import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CompareSummary } from '../../contract/types.js';
import { compareRecords, gridsToJson, recordsToCsv, ResultStore, summarizeRun, summaryToJson } from '../batch/index.js';
import { BadRequestError } from '../errors.js';

const EXT = { csv: 'records.csv', json: 'summary.json', grids: 'grids.json' } as const;

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
  format: 'csv' | 'json' | 'grids',
  dest?: string,
): Promise<{ path?: string; text?: string }> {
  if (!(format in EXT)) throw new BadRequestError(`format must be csv, json or grids; got ${JSON.stringify(format)}.`, { field: 'format' });
  const store = new ResultStore(runsDir, runId);
  const records = store.read().records;
  let text: string;
  if (format === 'csv') text = recordsToCsv(records);
  else if (format === 'grids') text = gridsToJson(records);
  else {
    const meta = store.readMeta();
    text = summaryToJson(
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
  if (!dest) return { text };
  const path = isDir(dest) ? join(resolve(dest), `${runId}.${EXT[format]}`) : resolve(dest);
  writeFileSync(path, text);
  return { path };
}

export async function compareRunsInDir(runsDir: string, runA: string, runB: string, layer?: number): Promise<CompareSummary> {
  const a = new ResultStore(runsDir, runA);
  const b = new ResultStore(runsDir, runB);
  const chosen = layer ?? a.readMeta().model.defaultLayer;
  if (!Number.isInteger(chosen) || chosen < 1)
    throw new BadRequestError(`layer must be a positive integer (1-based); got ${chosen}.`, { field: 'layer' });
  return compareRecords(a.read().records, b.read().records, { runA, runB, layer: chosen });
}
