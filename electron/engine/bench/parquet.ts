// The official ZoomBench release: Hugging Face parquet (`data/test.parquet`) with image structs
// {bytes, path}. Text columns are read once at open; image bytes are read per item on demand so a
// gigabyte-sized file never sits in memory.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { BenchRowIssue } from '../../contract/types.js';
import { InvalidBenchError } from '../errors.js';
import { resolveImagePath } from './file-items.js';
import { RowProblem, asText, issue, keptIssue, parseBbox, parseQuestionType, pick, rawId, requireText } from './rows.js';
import { notAnImageReason } from './sniff.js';
import type { BenchItem } from './types.js';

type AsyncBuffer = Awaited<ReturnType<typeof asyncBufferFromFile>>;
type FileMetaData = Awaited<ReturnType<typeof parquetMetadataAsync>>;

const IMAGE_COLUMNS = ['image', 'crop_image'] as const;

/** Bytes of an image cell: HF struct {bytes, path}, raw binary, or a path-only struct resolved beside the file. */
async function imageCellBytes(cell: unknown, parquetDir: string): Promise<Buffer | undefined> {
  if (cell === undefined || cell === null) return undefined;
  if (cell instanceof Uint8Array) return Buffer.from(cell.buffer, cell.byteOffset, cell.byteLength);
  if (typeof cell === 'object') {
    const rec = cell as Record<string, unknown>;
    const bytes = rec.bytes;
    if (bytes instanceof Uint8Array && bytes.byteLength > 0) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const path = asText(rec.path);
    if (path) {
      const resolved = resolveImagePath(parquetDir, path);
      if (resolved) return readFile(resolved);
    }
  }
  return undefined;
}

function cellPresent(cell: unknown): boolean {
  if (cell === undefined || cell === null) return false;
  if (cell instanceof Uint8Array) return cell.byteLength > 0;
  if (typeof cell === 'object') {
    const rec = cell as Record<string, unknown>;
    return (rec.bytes instanceof Uint8Array && rec.bytes.byteLength > 0) || Boolean(asText(rec.path));
  }
  return false;
}

/**
 * Reads single image cells. hyparquet decodes a whole column chunk to return one row, so the
 * decoded row group of each image column is kept (one per column): a batch walks the rows in order
 * and then pays one decode per row group instead of one per item. Memory stays bounded by a row group.
 */
class CellReader {
  private cache = new Map<string, { start: number; end: number; cells: unknown[] }>();
  private readonly groups: { start: number; end: number }[] = [];

  constructor(
    private readonly file: AsyncBuffer,
    private readonly metadata: FileMetaData,
  ) {
    let start = 0;
    for (const g of metadata.row_groups) {
      const end = start + Number(g.num_rows);
      this.groups.push({ start, end });
      start = end;
    }
  }

  async read(column: string, row: number): Promise<unknown> {
    const hit = this.cache.get(column);
    if (hit && row >= hit.start && row < hit.end) return hit.cells[row - hit.start];
    const group = this.groups.find((g) => row >= g.start && row < g.end);
    if (!group) return undefined;
    const rows = await parquetReadObjects({
      file: this.file,
      metadata: this.metadata,
      columns: [column],
      rowStart: group.start,
      rowEnd: group.end,
      utf8: false,
    });
    const cells = rows.map((r) => r[column]);
    this.cache.set(column, { ...group, cells });
    return cells[row - group.start];
  }
}

/** Why an inline image cell's bytes are not an image (path-only cells are checked when read). */
function cellProblem(cell: unknown): string | undefined {
  const bytes =
    cell instanceof Uint8Array ? cell : typeof cell === 'object' && cell !== null ? (cell as Record<string, unknown>).bytes : undefined;
  return bytes instanceof Uint8Array && bytes.byteLength > 0 ? notAnImageReason(bytes) : undefined;
}

/**
 * Which rows have a usable image/crop cell, and which inline bytes are no image at all, scanned one
 * row group at a time to bound memory.
 */
async function scanImages(
  file: AsyncBuffer,
  metadata: FileMetaData,
  column: string,
): Promise<{ present: boolean[]; problem: (string | undefined)[] }> {
  const present: boolean[] = [];
  const problem: (string | undefined)[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, columns: [column], rowStart: start, rowEnd: end, utf8: false });
    for (const r of rows) {
      present.push(cellPresent(r[column]));
      problem.push(cellProblem(r[column]));
    }
    start = end;
  }
  return { present, problem };
}

export interface ParquetBench {
  items: BenchItem[];
  issues: BenchRowIssue[];
}

export async function readParquetBench(path: string): Promise<ParquetBench> {
  let file: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new InvalidBenchError(`Cannot read ${path} as parquet: ${(err as Error).message}`, { file: path, cause: err });
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  if (!columns.includes('image')) {
    throw new InvalidBenchError(
      `${path} has no "image" column; ZoomBench parquet needs id, query|prompt, response|answer, image, crop_image, question_type, bbox (found: ${columns.join(', ')}).`,
      { file: path, field: 'image' },
    );
  }
  const textColumns = columns.filter((c) => !(IMAGE_COLUMNS as readonly string[]).includes(c));
  const rows = await parquetReadObjects({ file, metadata, columns: textColumns, utf8: false });
  const image = await scanImages(file, metadata, 'image');
  const hasImage = image.present;
  const hasCropColumn = columns.includes('crop_image');
  const crop = hasCropColumn ? await scanImages(file, metadata, 'crop_image') : { present: rows.map(() => false), problem: [] };
  const hasCrop = crop.present;
  const dir = dirname(path);
  const cells = new CellReader(file, metadata);
  const items: BenchItem[] = [];
  const issues: BenchRowIssue[] = [];
  const seen = new Set<string>();
  rows.forEach((raw, row) => {
    try {
      const question = requireText(raw, ['query', 'prompt', 'question']);
      const answer = requireText(raw, ['response', 'answer']);
      if (!hasImage[row]) throw new RowProblem('image', 'the image cell is empty (no bytes and no path)');
      const idCell = pick(raw, ['id']);
      const id = idCell === undefined ? String(row) : asText(idCell.value);
      if (id === undefined || id === '') throw new RowProblem('id', 'id must be a string or a number');
      if (seen.has(id)) throw new RowProblem('id', `duplicate id "${id}" (the first row with it was kept)`);
      const bbox = raw.bbox === undefined || raw.bbox === null ? undefined : parseBbox(raw.bbox);
      const questionType = parseQuestionType(raw.question_type, question, answer);
      const dimension = raw.dimension === undefined || raw.dimension === null ? undefined : asText(raw.dimension);
      seen.add(id);
      const item: BenchItem = {
        id,
        row,
        question,
        answer: answer.trim(),
        questionType,
        hasCrop: hasCrop[row] === true,
        imageColumn: 'image',
        ...(hasCropColumn ? { cropColumn: 'crop_image' } : {}),
        readImage: async () => {
          const bytes = await imageCellBytes(await cells.read('image', row), dir);
          if (!bytes) throw new InvalidBenchError(`Row ${row + 1} of ${path} has no image bytes.`, { file: path, field: 'image' });
          return bytes;
        },
        readCrop: async () => (hasCrop[row] ? imageCellBytes(await cells.read('crop_image', row), dir) : undefined),
      };
      if (bbox !== undefined) item.bbox = bbox;
      if (dimension) item.dimension = dimension;
      items.push(item);
      // Rows that load but will fail one view, or have no box: said once, at open.
      if (image.problem[row])
        issues.push(keptIssue(row, 'image', `${image.problem[row]}; the global view will fail, the regional one still runs`, id));
      if (crop.problem[row])
        issues.push(keptIssue(row, 'crop_image', `${crop.problem[row]}; the regional view will fail, the global one still runs`, id));
      if (bbox === undefined) issues.push(keptIssue(row, 'bbox', 'no key box: both views run, coverage is "no box"', id));
    } catch (err) {
      if (err instanceof RowProblem) issues.push(issue(row, err.field, err.message, rawId(raw)));
      else throw err;
    }
  });
  return { items, issues };
}
