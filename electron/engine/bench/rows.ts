// Row normalisation shared by every importer: one set of rules for what makes a row usable, so the
// same broken item is reported the same way whatever file it came from.
import type { BenchRowIssue, Box, QuestionType } from '../../contract/types.js';

export class RowProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function issue(row: number, field: string, message: string, id?: string): BenchRowIssue {
  return id !== undefined && id !== '' ? { row, id, field, message } : { row, field, message };
}

/** A problem with a row that still loads (one view's image, a missing box): `kept: true`. */
export function keptIssue(row: number, field: string, message: string, id: string): BenchRowIssue {
  return { ...issue(row, field, message, id), kept: true };
}

/** The id a raw row carries, when it has a readable one (for issues about rows that did not load). */
export function rawId(raw: unknown): string | undefined {
  return isRecord(raw) ? asText(raw.id) : undefined;
}

/** Strings may come as text, as UTF-8 bytes (parquet read with utf8: false) or as numbers/bigints (ids). */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder('utf-8').decode(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** First present field among the names (the paper's converter and the HF release use different names). */
export function pick(record: Record<string, unknown>, names: readonly string[]): { name: string; value: unknown } | undefined {
  for (const name of names) if (record[name] !== undefined && record[name] !== null) return { name, value: record[name] };
  return undefined;
}

export function requireText(record: Record<string, unknown>, names: readonly string[]): string {
  const found = pick(record, names);
  const text = found === undefined ? undefined : asText(found.value);
  if (text === undefined || text.trim() === '') {
    throw new RowProblem(names.join('|'), `missing or empty ${names.map((n) => `"${n}"`).join(' / ')}`);
  }
  return text;
}

function toNumber(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return typeof v === 'number' ? v : Number.NaN;
}

/** A bbox: 4 finite numbers with x2 > x1 and y2 > y1 (also accepts a JSON string of the list, as some exports store it). */
export function parseBbox(value: unknown, size?: { width?: number; height?: number }): Box {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new RowProblem('bbox', `bbox must be a list of 4 numbers; got the string ${JSON.stringify(value)}`);
    }
  }
  if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    throw new RowProblem('bbox', `bbox must be a list of 4 numbers [x1, y1, x2, y2]; got ${describe(value)}`);
  }
  const list = Array.from(v as ArrayLike<unknown>);
  const nums = list.map(toNumber);
  if (nums.length !== 4 || !nums.every(Number.isFinite)) {
    throw new RowProblem('bbox', `bbox must be 4 finite numbers [x1, y1, x2, y2]; got ${describe(value)}`);
  }
  const [x1, y1, x2, y2] = nums;
  if (x2 <= x1 || y2 <= y1) {
    throw new RowProblem('bbox', `bbox [${nums.join(', ')}] is empty or inverted: it needs x2 > x1 and y2 > y1`);
  }
  if (size?.width !== undefined && size.height !== undefined && (x1 >= size.width || y1 >= size.height || x2 <= 0 || y2 <= 0)) {
    throw new RowProblem('bbox', `bbox [${nums.join(', ')}] lies outside the ${size.width}x${size.height} image`);
  }
  return [x1, y1, x2, y2];
}

function describe(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
    return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** Option letters listed in the query as "A. text" / "A) text" / "(A) text", one per line, in order. */
export function listedOptions(query: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of query.split(/\r?\n/)) {
    const m = /^\s*\(?([A-Z])[.)]\s+(.+?)\s*$/.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], m[2]);
  }
  return out;
}

/** `mcq` when the query lists at least "A." and "B." and the answer is a single letter; else `blank`. */
export function inferQuestionType(query: string, answer: string): QuestionType {
  const options = listedOptions(query);
  const letter = /^\s*\(?([A-Z])\)?\.?\s*$/.exec(answer);
  return options.has('A') && options.has('B') && letter !== null && options.has(letter[1]) ? 'mcq' : 'blank';
}

export function parseQuestionType(value: unknown, query: string, answer: string): QuestionType {
  if (value === undefined || value === null || value === '') return inferQuestionType(query, answer);
  const text = asText(value)?.trim().toLowerCase();
  if (text === 'mcq' || text === 'blank') return text;
  throw new RowProblem('question_type', `question_type must be "mcq" or "blank"; got ${describe(value)}`);
}

export function optionalPositiveInt(record: Record<string, unknown>, name: string): number | undefined {
  const v = record[name];
  if (v === undefined || v === null) return undefined;
  const n = toNumber(v);
  if (!Number.isInteger(n) || n <= 0) throw new RowProblem(name, `${name} must be a positive integer; got ${describe(v)}`);
  return n;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
