// openBenchmark: detects the layout of a path and loads it. Accepted:
//  - a ZoomBench parquet file (`data/test.parquet`), or a dataset folder containing data/test.parquet;
//  - the paper repository's converted JSON list (paths relative to the JSON file);
//  - our mini bench: the same JSON plus id/dimension/width/height, or its folder (test.json + bench.json);
//  - a JSONL of {image, question, answer, bbox} with optional id, crop_image, question_type, dimension.
import { openSync, readSync, closeSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { BenchInfo, BenchItemSummary, BenchRowIssue } from '../../contract/types.js';
import { InvalidBenchError, NotFoundError } from '../errors.js';
import { itemsFromRows, readJsonl } from './file-items.js';
import { readParquetBench } from './parquet.js';
import { isRecord } from './rows.js';
import type { BenchItem, LoadedBench } from './types.js';
import { screenItemImages } from './screen-items.js';

type Detected = { format: BenchInfo['format']; file: string; name: string; layout?: 'json' | 'jsonl' };

function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function nameFromBenchJson(dir: string): string | undefined {
  try {
    const meta: unknown = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8'));
    return isRecord(meta) && typeof meta.name === 'string' && meta.name !== '' ? meta.name : undefined;
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function detectFile(file: string): Detected {
  const ext = extname(file).toLowerCase();
  const dir = dirname(file);
  const stem = basename(file, extname(file));
  // A HF dataset keeps its split at <dataset>/data/test.parquet: name the bench after the dataset.
  const name =
    nameFromBenchJson(dir) ?? (basename(dir) === 'data' ? basename(dirname(dir)) : ['test', 'bench'].includes(stem) ? basename(dir) : stem);
  const magic = head(file, 4).toString('latin1');
  if (ext === '.parquet' || magic === 'PAR1') return { format: 'zoombench-parquet', file, name };
  if (ext === '.jsonl' || ext === '.ndjson') return { format: 'loupe-jsonl', file, name, layout: 'jsonl' };
  const first = head(file, 256).toString('utf8').trimStart()[0];
  if (ext === '.json' || first === '[') {
    if (first !== '[')
      throw new InvalidBenchError(`${file} is JSON but not a list of items; the converted ZoomBench layout is a JSON list.`, { file });
    return { format: 'zoombench-json', file, name, layout: 'json' };
  }
  if (first === '{') return { format: 'loupe-jsonl', file, name, layout: 'jsonl' };
  throw new InvalidBenchError(`Cannot tell the format of ${file}: expected .parquet, .json (a list) or .jsonl.`, { file });
}

function detect(path: string): Detected {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new NotFoundError(`Benchmark not found: ${path}`, { file: path });
  }
  if (stat.isFile()) return detectFile(path);
  for (const candidate of ['test.json', join('data', 'test.parquet'), 'test.parquet', 'test.jsonl']) {
    const file = join(path, candidate);
    if (isFile(file)) return { ...detectFile(file), name: nameFromBenchJson(path) ?? basename(path) };
  }
  throw new InvalidBenchError(`${path} holds no benchmark: expected test.json, data/test.parquet, test.parquet or test.jsonl inside it.`, {
    file: path,
  });
}

export interface OpenBenchmarkOptions {
  bundled?: boolean;
}

export async function openBenchmark(path: string, options: OpenBenchmarkOptions = {}): Promise<LoadedBench> {
  const abs = resolve(path);
  const found = detect(abs);
  let items: BenchItem[];
  let issues: BenchRowIssue[];
  if (found.format === 'zoombench-parquet') {
    ({ items, issues } = await readParquetBench(found.file));
  } else if (found.layout === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(found.file, 'utf8'));
    } catch (err) {
      throw new InvalidBenchError(`${found.file} is not valid JSON: ${(err as Error).message}`, { file: found.file, cause: err });
    }
    if (!Array.isArray(parsed)) throw new InvalidBenchError(`${found.file} must be a JSON list of items.`, { file: found.file });
    ({ items, issues } = itemsFromRows(
      parsed.map((value, row) => ({ row, value })),
      'json',
      dirname(found.file),
    ));
  } else {
    const read = readJsonl(found.file);
    const built = itemsFromRows(read.rows, 'jsonl', dirname(found.file));
    items = built.items;
    issues = [...read.issues, ...built.issues].sort((a, b) => a.row - b.row);
  }
  const screened = await screenItemImages(items, issues);
  if (screened.length > 0) issues = [...issues, ...screened].sort((a, b) => a.row - b.row);
  // A bench without any key box (the paper converter's JSON drops bbox) is not malformed row by row:
  // say "no key box" only for rows that lack the box their neighbours have.
  if (items.length > 0 && items.every((it) => it.bbox === undefined)) issues = issues.filter((i) => !(i.kept && i.field === 'bbox'));
  const dimensions: string[] = [];
  for (const it of items) if (it.dimension !== undefined && !dimensions.includes(it.dimension)) dimensions.push(it.dimension);
  const info: BenchInfo = {
    id: abs,
    name: found.name,
    path: abs,
    format: found.format,
    itemCount: items.length,
    dimensions,
    issues,
    bundled: options.bundled ?? false,
  };
  const byId = new Map(items.map((it) => [it.id, it]));
  return {
    info,
    dataFile: found.file,
    items,
    get: (id) => byId.get(id),
    summaries: () => items.map(toSummary),
  };
}

/** Drops the functions and file paths: what crosses the transport for `bench.items`. */
export function toSummary(item: BenchItem): BenchItemSummary {
  const s: BenchItemSummary = {
    id: item.id,
    row: item.row,
    question: item.question,
    answer: item.answer,
    questionType: item.questionType,
    hasCrop: item.hasCrop,
  };
  if (item.dimension !== undefined) s.dimension = item.dimension;
  if (item.bbox !== undefined) s.bbox = item.bbox;
  if (item.imageWidth !== undefined) s.imageWidth = item.imageWidth;
  if (item.imageHeight !== undefined) s.imageHeight = item.imageHeight;
  return s;
}
