// Append-only results store: <runsDir>/<runId>/results.jsonl, one BatchRecord per line, plus run.json.
// Crash safety: every record is ONE write of a whole line to a file opened in append mode, followed
// by fdatasync, so a kill -9 can at worst leave a torn LAST line. Readers ignore a line that does not
// parse; before appending, the writer cuts a torn tail back to the last newline so the next record
// starts on a fresh line. Resume therefore never loses a finished record nor duplicates one.
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { BatchRecord } from '../../contract/types.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { withCurrentJudgement } from './records.js';
import type { RunMeta } from './types.js';

export interface ReadResult {
  /** Last record per key, in file order of first appearance. */
  records: BatchRecord[];
  /** Lines that did not parse (a torn tail after a crash, or foreign edits). */
  skippedLines: number;
}

/** Run ids become folder names: keep them to a safe alphabet (no path traversal). */
export function assertRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
    throw new BadRequestError(`Invalid run id "${runId}": use letters, digits, '.', '_' and '-'.`, { field: 'runId' });
  }
}

/**
 * Creates the folder of a new run and returns its id (from makeId). mkdir without `recursive` fails
 * when the folder exists, so two processes that drew the same id can never both write into it (the
 * later one would otherwise take the folder over as a resume of the other's run); a taken id is
 * replaced by makeId's next one.
 */
export function claimRunFolder(runsDir: string, makeId: () => string, attempts = 5): string {
  mkdirSync(runsDir, { recursive: true });
  const tried: string[] = [];
  for (let i = 0; i < attempts; i++) {
    const runId = makeId();
    assertRunId(runId);
    try {
      mkdirSync(join(runsDir, runId));
      return runId;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      tried.push(runId);
    }
  }
  throw new ConflictError(`Could not create a new run folder in ${runsDir}: the ids ${tried.join(', ')} were all taken.`, {
    file: runsDir,
  });
}

export function isBatchRecord(value: unknown): value is BatchRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.key === 'string' &&
    typeof r.itemId === 'string' &&
    (r.view === 'global' || r.view === 'regional') &&
    typeof r.layers === 'object'
  );
}

/** Parses JSONL text; unparsable or foreign lines are counted and skipped; later records replace earlier ones with the same key. */
export function parseRecords(text: string): ReadResult {
  const byKey = new Map<string, BatchRecord>();
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    if (!isBatchRecord(value)) {
      skippedLines++;
      continue;
    }
    byKey.set(value.key, value);
  }
  return { records: [...byKey.values()], skippedLines };
}

export interface RunNotes {
  name?: string;
  notes?: string;
}

export class ResultStore {
  readonly dir: string;
  readonly resultsPath: string;
  readonly runJsonPath: string;
  /** The researcher's name and notes for the run: a file of its own, so writing them never races the runner's run.json. */
  readonly notesPath: string;
  private fd: number | undefined;

  constructor(
    runsDir: string,
    readonly runId: string,
  ) {
    assertRunId(runId);
    this.dir = join(runsDir, runId);
    this.resultsPath = join(this.dir, 'results.jsonl');
    this.runJsonPath = join(this.dir, 'run.json');
    this.notesPath = join(this.dir, 'notes.json');
  }

  /** A store over an existing run folder (merge inputs, exports). */
  static atDir(dir: string): ResultStore {
    const abs = resolve(dir);
    return new ResultStore(dirname(abs), basename(abs));
  }

  exists(): boolean {
    return existsSync(this.runJsonPath) || existsSync(this.resultsPath);
  }

  /** The run's records, judged with the current rules (records.ts withCurrentJudgement). */
  read(): ReadResult {
    if (!existsSync(this.resultsPath)) return { records: [], skippedLines: 0 };
    const read = parseRecords(readFileSync(this.resultsPath, 'utf8'));
    return { ...read, records: read.records.map(withCurrentJudgement) };
  }

  readMeta(): RunMeta {
    if (!existsSync(this.runJsonPath))
      throw new NotFoundError(`Run "${this.runId}" not found (no ${this.runJsonPath}).`, { file: this.runJsonPath });
    return JSON.parse(readFileSync(this.runJsonPath, 'utf8')) as RunMeta;
  }

  /** Writes run.json atomically (write a temp file, then rename over the old one). */
  writeMeta(meta: RunMeta): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.runJsonPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(meta, null, 2)}\n`);
    renameSync(tmp, this.runJsonPath);
  }

  readNotes(): RunNotes {
    if (!existsSync(this.notesPath)) return {};
    try {
      const v: unknown = JSON.parse(readFileSync(this.notesPath, 'utf8'));
      if (typeof v !== 'object' || v === null) return {};
      const r = v as Record<string, unknown>;
      return {
        ...(typeof r.name === 'string' && r.name !== '' ? { name: r.name } : {}),
        ...(typeof r.notes === 'string' && r.notes !== '' ? { notes: r.notes } : {}),
      };
    } catch {
      return {};
    }
  }

  /** Writes the name and notes atomically; an empty string clears one. */
  writeNotes(notes: RunNotes): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.notesPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ ...notes, updatedAt: new Date().toISOString() }, null, 2)}\n`);
    renameSync(tmp, this.notesPath);
  }

  /** Opens for appending, first cutting a torn last line (from a crash) back to the last newline. */
  openForAppend(): void {
    if (this.fd !== undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(this.resultsPath, 'a+');
    const size = fstatSync(fd).size;
    if (size > 0) {
      // Find the last newline by scanning backwards in chunks; everything after it is a torn line.
      const chunk = Buffer.alloc(Math.min(size, 1 << 16));
      let end = size;
      let keep = 0;
      search: while (end > 0) {
        const start = Math.max(0, end - chunk.length);
        const n = readSync(fd, chunk, 0, end - start, start);
        for (let i = n - 1; i >= 0; i--) {
          if (chunk[i] === 0x0a) {
            keep = start + i + 1;
            break search;
          }
        }
        end = start;
      }
      if (keep < size) {
        ftruncateSync(fd, keep);
        fdatasyncSync(fd);
      }
    }
    this.fd = fd;
  }

  append(record: BatchRecord): void {
    if (this.fd === undefined) this.openForAppend();
    const line = `${JSON.stringify(record)}\n`;
    writeSync(this.fd!, line);
    fdatasyncSync(this.fd!);
  }

  /** Writes many records as one file (merge output); replaces any previous results. */
  writeAll(records: readonly BatchRecord[]): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.resultsPath}.tmp`;
    writeFileSync(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.resultsPath);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
