// Bench rows that are broken in one column: each view needs only its own image, an image error names
// row, id and column, and a row without a key box runs both views with coverage "no box".
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../electron/engine/host/index.js';
import { ROOT } from './fixtures.js';

const mini = join(ROOT, 'resources/bench/loupe-mini');

interface MiniItem {
  id: string;
  images: string[];
  crop_images: string[];
  query: string;
  response: string;
  bbox?: [number, number, number, number];
  question_type: string;
  width: number;
  height: number;
}

describe('malformed bench rows', () => {
  let host: EngineHost;
  let benchPath: string;
  const signal = () => new AbortController().signal;

  beforeAll(() => {
    const items = (JSON.parse(readFileSync(join(mini, 'test.json'), 'utf8')) as MiniItem[]).slice(0, 3);
    const dir = mkdtempSync(join(tmpdir(), 'loupe-malformed-'));
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'crops'));
    for (const it of items) {
      copyFileSync(join(mini, it.images[0]), join(dir, it.images[0]));
      copyFileSync(join(mini, it.crop_images[0]), join(dir, it.crop_images[0]));
    }
    // Row 2: the full image is garbage, its crop is fine. Row 3: no key box.
    writeFileSync(join(dir, items[1].images[0]), Buffer.from('this is not a JPEG at all'));
    delete items[2].bbox;
    benchPath = join(dir, 'test.json');
    writeFileSync(benchPath, JSON.stringify(items));
    host = new EngineHost({ resourcesDir: join(ROOT, 'resources'), runsDir: mkdtempSync(join(tmpdir(), 'loupe-runs-')) });
  });

  afterAll(async () => {
    await host?.dispose();
  });

  it('fails only the broken view, names row, id and column, and runs a box-less row with coverage "no box"', async () => {
    const models = await host.handle('models.list', {}, signal());
    const model = models.find((m) => m.name === 'loupe-tiny-r2i')!;
    const bench = await host.handle('bench.open', { path: benchPath }, signal());
    const ids = (await host.handle('bench.items', { benchId: bench.id }, signal())).map((i) => i.id);
    // Opening says it once, per row: row, id, column and cause; both rows still load (kept).
    expect(bench.issues).toEqual([
      expect.objectContaining({
        row: 1,
        id: ids[1],
        field: 'images',
        kept: true,
        message: expect.stringMatching(/^the full image .* is not an image/),
      }),
      { row: 2, id: ids[2], field: 'bbox', kept: true, message: 'no key box: both views run, coverage is "no box"' },
    ]);
    // Opening the folder of the same test.json again lists one bench, under the first id.
    const again = await host.handle('bench.open', { path: join(benchPath, '..') }, signal());
    expect(again.id).toBe(bench.id);
    expect((await host.handle('bench.list', {}, signal())).filter((b) => b.id === bench.id)).toHaveLength(1);
    const { runId } = await host.handle(
      'batch.start',
      { modelId: model.id, benchId: bench.id, views: ['global', 'regional'], layers: [], maxNewTokens: 2 },
      signal(),
    );
    await host.batches.wait(runId);
    const records = await host.handle('batch.records', { runId }, signal());
    expect(records).toHaveLength(6);
    const rec = (id: string, view: string) => records.find((r) => r.itemId === id && r.view === view)!;

    const brokenGlobal = rec(ids[1], 'global');
    expect(brokenGlobal.error).toMatch(new RegExp(`^row 2 \\(id ${ids[1]}\\), column images: not a readable image`));
    expect(rec(ids[1], 'regional').error).toBeUndefined();
    expect(rec(ids[1], 'regional').answer).not.toBe('');

    const noBox = rec(ids[2], 'global');
    expect(noBox.error).toBeUndefined();
    expect(noBox.bbox).toBeUndefined();
    expect(noBox.layers).toEqual({});
    expect(['correct', 'wrong', 'unjudged']).toContain(noBox.judgement);
    expect(rec(ids[2], 'regional').error).toBeUndefined();

    const summary = await host.handle('batch.summary', { runId }, signal());
    expect(summary.failed).toBe(1);
    expect(summary.noBoxItems).toBe(1);
    expect(summary.failures).toEqual([{ itemId: ids[1], view: 'global', error: brokenGlobal.error }]);
    const csv = parseCsv((await host.handle('batch.export', { runId, format: 'csv' }, signal())).text!);
    const col = (name: string) => csv[0].indexOf(name);
    const status = (id: string, view: string) =>
      csv.find((row) => row[col('item_id')] === id && row[col('view')] === view)?.[col('box_status')];
    expect(status(ids[0], 'global')).toBe('measured');
    expect(status(ids[0], 'regional')).toBe('regional view (no box metrics)');
    expect(status(ids[1], 'global')).toBe('failed');
    expect(status(ids[2], 'global')).toBe('no box');
    expect(status(ids[2], 'regional')).toBe('no box');

    // Replay's call (analysis.dual on the item) runs what the batch ran and says what the record says.
    const dual = (id: string) =>
      host.handle(
        'analysis.dual',
        { modelId: model.id, image: { kind: 'benchItem', benchId: bench.id, itemId: id, view: 'global' }, question: 'q', maxNewTokens: 2 },
        signal(),
      );
    const broken = await dual(ids[1]);
    expect(broken.global).toBeUndefined();
    expect(broken.regional?.answer).toBeDefined();
    expect(broken.errors?.global).toEqual({ message: brokenGlobal.error, field: 'images' });
    expect(broken.regionalInFull).toBeUndefined();
    const boxless = await dual(ids[2]);
    expect(boxless.errors).toBeUndefined();
    expect(boxless.global?.box).toBeUndefined();
    expect(boxless.regional?.answer).toBeDefined();
    expect(boxless.regionalInFull).toBeUndefined();
  });
});

/** RFC 4180 rows (quoted fields may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  return rows;
}
