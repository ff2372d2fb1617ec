// Importers for the file-based layouts: the paper repository's converted JSON (and our mini bench,
// the same JSON with a few more fields) and Loupe's simple JSONL. Images stay on disk and are read
// only when asked for.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { BenchRowIssue } from '../../contract/types.js';
import type { BenchItem } from './types.js';
import {
  RowProblem,
  asText,
  isRecord,
  issue,
  keptIssue,
  optionalPositiveInt,
  parseBbox,
  parseQuestionType,
  pick,
  rawId,
  requireText,
} from './rows.js';
import { notAnImageReason } from './sniff.js';

export type FileLayout = 'json' | 'jsonl';

/**
 * Resolves an image path. Paths are relative to the bench file; the paper's converter writes paths
 * relative to ITS working directory (e.g. "../ZoomBench/images/image_0.png"), so when that does not
 * exist we also try images/<name> and <name> beside the bench file.
 */
export function resolveImagePath(benchDir: string, ref: string): string | undefined {
  const candidates = isAbsolute(ref) ? [ref] : [resolve(benchDir, ref)];
  candidates.push(join(benchDir, 'images', basename(ref)), join(benchDir, basename(ref)));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

function firstPath(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    const t = asText(value[0]);
    if (t === undefined) throw new RowProblem(field, `${field}[0] must be a path string`);
    return t;
  }
  const t = asText(value);
  if (t === undefined) throw new RowProblem(field, `${field} must be a path string or a list of them`);
  return t;
}

function buildItem(raw: unknown, row: number, layout: FileLayout, benchDir: string): BenchItem {
  if (!isRecord(raw)) throw new RowProblem('row', `expected an object, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  const imageField = layout === 'json' ? ['images', 'image'] : ['image', 'images'];
  const cropField = layout === 'json' ? ['crop_images', 'crop_image'] : ['crop_image', 'crop_images'];
  const question = requireText(raw, layout === 'json' ? ['query', 'prompt', 'question'] : ['question', 'query', 'prompt']);
  const answer = requireText(raw, layout === 'json' ? ['response', 'answer'] : ['answer', 'response']);
  const imageRef = pick(raw, imageField);
  const imageRel = imageRef === undefined ? undefined : firstPath(imageRef.value, imageRef.name);
  if (imageRel === undefined) throw new RowProblem(imageField[0], `missing "${imageField[0]}" (the full image's path)`);
  const imagePath = resolveImagePath(benchDir, imageRel);
  if (imagePath === undefined)
    throw new RowProblem(imageRef!.name, `image file not found: ${imageRel} (paths are relative to ${benchDir})`);
  const cropRef = pick(raw, cropField);
  const cropRel = cropRef === undefined ? undefined : firstPath(cropRef.value, cropRef.name);
  let cropPath: string | undefined;
  if (cropRel !== undefined) {
    cropPath = resolveImagePath(benchDir, cropRel);
    if (cropPath === undefined) throw new RowProblem(cropRef!.name, `crop file not found: ${cropRel} (paths are relative to ${benchDir})`);
  }
  const width = optionalPositiveInt(raw, 'width');
  const height = optionalPositiveInt(raw, 'height');
  if (layout === 'jsonl' && raw.bbox === undefined) throw new RowProblem('bbox', 'missing "bbox" ([x1, y1, x2, y2] in original pixels)');
  const bbox = raw.bbox === undefined || raw.bbox === null ? undefined : parseBbox(raw.bbox, { width, height });
  const questionType = parseQuestionType(raw.question_type, question, answer);
  const id = raw.id === undefined || raw.id === null ? String(row) : asText(raw.id);
  if (id === undefined || id === '') throw new RowProblem('id', 'id must be a string or a number');
  const dimension = raw.dimension === undefined || raw.dimension === null ? undefined : asText(raw.dimension);
  const item: BenchItem = {
    id,
    row,
    question,
    answer: answer.trim(),
    questionType,
    hasCrop: cropPath !== undefined,
    imageColumn: imageRef!.name,
    imagePath,
    readImage: () => readFile(imagePath),
    readCrop: async () => (cropPath === undefined ? undefined : readFile(cropPath)),
  };
  if (cropPath !== undefined) item.cropPath = cropPath;
  if (cropRef !== undefined) item.cropColumn = cropRef.name;
  if (dimension !== undefined && dimension !== '') item.dimension = dimension;
  if (bbox !== undefined) item.bbox = bbox;
  if (width !== undefined) item.imageWidth = width;
  if (height !== undefined) item.imageHeight = height;
  return item;
}

export interface ParsedRows {
  items: BenchItem[];
  issues: BenchRowIssue[];
}

/** The first bytes of a file (enough to recognise an image format). */
function fileHead(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(16);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Issues of a row that loads: an image file that is not an image (that view will fail), no key box. */
function keptIssues(item: BenchItem, row: number): BenchRowIssue[] {
  const out: BenchRowIssue[] = [];
  const check = (path: string | undefined, column: string | undefined, which: string) => {
    if (!path || !column) return;
    const reason = notAnImageReason(fileHead(path));
    if (reason)
      out.push(keptIssue(row, column, `${which} ${basename(path)} is ${reason}; that view will fail, the other still runs`, item.id));
  };
  check(item.imagePath, item.imageColumn, 'the full image');
  check(item.cropPath, item.cropColumn, 'the crop');
  if (!item.bbox) out.push(keptIssue(row, 'bbox', 'no key box: both views run, coverage is "no box"', item.id));
  return out;
}

/** Builds items from raw rows; bad rows become issues and are skipped, duplicate ids too. */
export function itemsFromRows(rows: readonly { row: number; value: unknown }[], layout: FileLayout, benchDir: string): ParsedRows {
  const items: BenchItem[] = [];
  const issues: BenchRowIssue[] = [];
  const seen = new Set<string>();
  rows.forEach(({ row, value: raw }) => {
    try {
      const item = buildItem(raw, row, layout, benchDir);
      if (seen.has(item.id)) throw new RowProblem('id', `duplicate id "${item.id}" (the first row with it was kept)`);
      seen.add(item.id);
      items.push(item);
      issues.push(...keptIssues(item, row));
    } catch (err) {
      if (err instanceof RowProblem) issues.push(issue(row, err.field, err.message, rawId(raw)));
      else throw err;
    }
  });
  return { items, issues };
}

/** Reads JSONL; a line that is not JSON becomes an issue (row = line index, 0-based). Blank lines are skipped. */
export function readJsonl(path: string): { rows: { row: number; value: unknown }[]; issues: BenchRowIssue[] } {
  const rows: { row: number; value: unknown }[] = [];
  const issues: BenchRowIssue[] = [];
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push({ row: i, value: JSON.parse(line) });
      } catch (err) {
        issues.push(issue(i, 'line', `line ${i + 1} is not valid JSON: ${(err as Error).message}`));
      }
    });
  return { rows, issues };
}
