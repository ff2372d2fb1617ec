import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBenchmark } from './open.js';

let dir: string;
const enc = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loupe-pq-'));
  const img = new Uint8Array(
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .jpeg()
      .toBuffer(),
  );
  // Strings stored as UNANNOTATED byte arrays (read back as bytes with utf8: false), the paper
  // converter's prompt/answer naming, int64 ids and bboxes, and one row without image bytes.
  const schema = [
    { name: 'root', num_children: 5 },
    { name: 'id', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'prompt', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'answer', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'bbox', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
  ] as const;
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: [7n, 8n, 9n] },
      { name: 'prompt', data: [enc('Which?\nA. café\nB. tea'), enc('Count them'), enc('Q3')] },
      { name: 'answer', data: [enc('A'), enc('4'), enc('x')] },
      {
        name: 'image',
        data: [
          { bytes: img, path: 'a.jpg' },
          { bytes: img, path: 'b.jpg' },
          { bytes: null, path: null },
        ],
      },
      {
        name: 'bbox',
        data: [
          [1n, 2n, 30n, 20n],
          [0n, 0n, 5n, 5n],
          [0n, 0n, 5n, 5n],
        ],
      },
    ],
    schema: schema.map((s) => ({ ...s })),
  });
  writeFileSync(join(dir, 'test.parquet'), new Uint8Array(buf));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parquet reader', () => {
  it('decodes byte strings, bigint ids and boxes, and reports empty images', async () => {
    const bench = await openBenchmark(join(dir, 'test.parquet'));
    expect(bench.summaries()).toEqual([
      { id: '7', row: 0, question: 'Which?\nA. café\nB. tea', answer: 'A', questionType: 'mcq', bbox: [1, 2, 30, 20], hasCrop: false },
      { id: '8', row: 1, question: 'Count them', answer: '4', questionType: 'blank', bbox: [0, 0, 5, 5], hasCrop: false },
    ]);
    expect(bench.info.issues).toEqual([{ row: 2, id: '9', field: 'image', message: 'the image cell is empty (no bytes and no path)' }]);
    expect((await sharp(await bench.items[1].readImage()).metadata()).width).toBe(40);
    expect(await bench.items[0].readCrop()).toBeUndefined();
  });
});
