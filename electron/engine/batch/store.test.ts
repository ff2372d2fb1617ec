import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchRecord } from '../../contract/types.js';
import { ResultStore, parseRecords } from './store.js';

const r = (itemId: string, answer = 'B'): BatchRecord => ({
  key: `${itemId}|global|m|s`,
  itemId,
  view: 'global',
  modelHash: 'm',
  settingsHash: 's',
  question: 'Q',
  groundTruth: 'B',
  answer,
  extracted: answer,
  judgement: 'correct',
  judgeReason: 'names option B',
  questionType: 'mcq',
  layers: {},
  finishedAt: '2026-01-01T00:00:00.000Z',
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loupe-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ResultStore', () => {
  it('appends whole lines and reads them back', () => {
    const s = new ResultStore(dir, 'run-1');
    s.append(r('a'));
    s.append(r('b'));
    s.close();
    expect(readFileSync(s.resultsPath, 'utf8').split('\n')).toHaveLength(3);
    expect(s.read()).toEqual({ records: [r('a'), r('b')], skippedLines: 0 });
  });

  it('reads records judged with the current rules (a run made under older rules reads the same as a new one)', () => {
    const s = new ResultStore(dir, 'run-1');
    s.append({ ...r('a', 'ECAH'), judgement: 'unjudged', judgeReason: undefined });
    s.append({ ...r('b', 'boom'), judgement: 'unjudged', error: 'row 3 (id b), column image: not a readable image' });
    s.close();
    const [a, b] = s.read().records;
    expect(a).toMatchObject({ judgement: 'wrong', judgeReason: 'names no option; the answer is B' });
    expect(b).toMatchObject({ judgement: 'unjudged', error: expect.stringContaining('column image') });
  });

  it('ignores a torn last line when reading and cuts it before appending', () => {
    const s = new ResultStore(dir, 'run-2');
    s.append(r('a'));
    s.close();
    appendFileSync(s.resultsPath, JSON.stringify(r('b')).slice(0, 30)); // kill -9 mid-write
    expect(s.read()).toEqual({ records: [r('a')], skippedLines: 1 });
    s.append(r('c'));
    s.close();
    expect(readFileSync(s.resultsPath, 'utf8')).toBe(`${JSON.stringify(r('a'))}\n${JSON.stringify(r('c'))}\n`);
  });

  it('a torn first line (no newline at all) is cut entirely', () => {
    const s = new ResultStore(dir, 'run-3');
    s.openForAppend();
    s.close();
    appendFileSync(s.resultsPath, '{"key":"x|gl');
    s.append(r('a'));
    s.close();
    expect(s.read()).toEqual({ records: [r('a')], skippedLines: 0 });
  });

  it('keeps the last record per key and skips foreign lines', () => {
    const text = [JSON.stringify(r('a', 'A')), '{"hello":1}', JSON.stringify(r('a', 'C')), ''].join('\n');
    expect(parseRecords(text)).toEqual({ records: [r('a', 'C')], skippedLines: 1 });
  });

  it('rejects run ids that could escape the runs folder', () => {
    expect(() => new ResultStore(dir, '../x')).toThrow(/Invalid run id/);
    expect(() => new ResultStore(dir, '')).toThrow(/Invalid run id/);
  });
});
