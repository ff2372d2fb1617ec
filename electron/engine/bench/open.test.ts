import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBenchError, NotFoundError } from '../errors.js';
import { exportBenchParquet } from './export-parquet.js';
import { openBenchmark } from './open.js';

let root: string;

async function jpeg(width: number, height: number, shade: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: shade, g: 255 - shade, b: 90 } } })
    .jpeg()
    .toBuffer();
}

const MINI = [
  {
    id: 'it-0',
    query: "How many dots?\nA. 1\nB. 3\nC. 2\nD. 4\n\nAnswer with the option's letter from the given choices.",
    response: 'A',
    bbox: [10, 12, 40, 30],
    question_type: 'mcq',
    dimension: 'counting',
    width: 97,
    height: 61,
  },
  {
    id: 'it-1',
    query: 'What is written on the card?',
    response: 'MCAX',
    bbox: [5, 5, 20.5, 19],
    question_type: 'blank',
    dimension: 'ocr',
    width: 97,
    height: 61,
  },
  {
    id: 'it-2',
    query: 'Which colour?\nA. red\nB. blue',
    response: 'B',
    bbox: [0, 0, 97, 61],
    question_type: 'mcq',
    dimension: 'color',
    width: 97,
    height: 61,
  },
];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'loupe-bench-'));
  const mini = join(root, 'mini');
  mkdirSync(join(mini, 'images'), { recursive: true });
  mkdirSync(join(mini, 'crops'), { recursive: true });
  for (const [i, row] of MINI.entries()) {
    writeFileSync(join(mini, 'images', `${row.id}.jpg`), await jpeg(97, 61, 40 * i));
    writeFileSync(join(mini, 'crops', `${row.id}.jpg`), await jpeg(31, 19, 40 * i + 10));
  }
  const rows = MINI.map((r) => ({ ...r, images: [`images/${r.id}.jpg`], crop_images: [`crops/${r.id}.jpg`] }));
  writeFileSync(join(mini, 'test.json'), JSON.stringify(rows));
  writeFileSync(join(mini, 'bench.json'), JSON.stringify({ name: 'tiny-mini' }));

  // The paper converter's layout: prompt/answer naming, no id/bbox/question_type, paths relative to ITS cwd.
  const paper = join(root, 'ZoomBench');
  mkdirSync(join(paper, 'images'), { recursive: true });
  const paperRows = [];
  for (const [i, row] of MINI.entries()) {
    writeFileSync(join(paper, 'images', `image_${i}.png`), await jpeg(97, 61, 40 * i));
    writeFileSync(join(paper, 'images', `crop_image_${i}.png`), await jpeg(31, 19, 40 * i + 10));
    paperRows.push({
      images: [`../ZoomBench/images/image_${i}.png`],
      crop_images: [`../ZoomBench/images/crop_image_${i}.png`],
      prompt: row.query,
      answer: row.response,
    });
  }
  writeFileSync(join(paper, 'zoombench.json'), JSON.stringify(paperRows));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openBenchmark: JSON layouts', () => {
  it('opens the mini bench folder (test.json + bench.json) with all fields', async () => {
    const bench = await openBenchmark(join(root, 'mini'));
    expect(bench.info.format).toBe('zoombench-json');
    expect(bench.info.name).toBe('tiny-mini');
    expect(bench.info.issues).toEqual([]);
    expect(bench.info.itemCount).toBe(3);
    expect(bench.info.dimensions).toEqual(['counting', 'ocr', 'color']);
    const s = bench.summaries()[1];
    expect(s).toEqual({
      id: 'it-1',
      row: 1,
      question: MINI[1].query,
      answer: 'MCAX',
      questionType: 'blank',
      dimension: 'ocr',
      bbox: [5, 5, 20.5, 19],
      imageWidth: 97,
      imageHeight: 61,
      hasCrop: true,
    });
    const img = await bench.get('it-1')!.readImage();
    expect((await sharp(img).metadata()).width).toBe(97);
    const crop = await bench.get('it-1')!.readCrop();
    expect((await sharp(crop!).metadata()).height).toBe(19);
  });

  it("opens the paper converter's JSON (prompt/answer, cwd-relative paths) and infers question types", async () => {
    const bench = await openBenchmark(join(root, 'ZoomBench', 'zoombench.json'));
    expect(bench.info.issues).toEqual([]);
    expect(bench.items.map((i) => i.id)).toEqual(['0', '1', '2']);
    expect(bench.items.map((i) => i.questionType)).toEqual(['mcq', 'blank', 'mcq']);
    expect(bench.items[0].bbox).toBeUndefined();
    expect(bench.items.every((i) => i.hasCrop)).toBe(true);
  });
});

describe('openBenchmark: parquet', () => {
  it('round-trips the mini bench through the HF layout written by exportBenchParquet', async () => {
    const mini = await openBenchmark(join(root, 'mini'));
    const out = join(root, 'hf', 'data', 'test.parquet');
    expect(await exportBenchParquet(mini, out)).toEqual({ path: out, rows: 3 });
    for (const path of [out, join(root, 'hf')]) {
      const pq = await openBenchmark(path);
      expect(pq.info.format).toBe('zoombench-parquet');
      expect(pq.info.name).toBe('hf');
      expect(pq.info.issues).toEqual([]);
      // Same items; the parquet layout carries no width/height.
      const strip = (s: ReturnType<typeof mini.summaries>[number]) => ({ ...s, imageWidth: undefined, imageHeight: undefined });
      expect(pq.summaries().map(strip)).toEqual(mini.summaries().map(strip));
      for (const it of mini.items) {
        expect(Buffer.compare(await pq.get(it.id)!.readImage(), await it.readImage())).toBe(0);
        expect(Buffer.compare((await pq.get(it.id)!.readCrop())!, (await it.readCrop())!)).toBe(0);
      }
    }
  });
});

describe('openBenchmark: JSONL and malformed rows', () => {
  it('loads good rows and reports each bad one with its row and field', async () => {
    const dir = join(root, 'jsonl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.jpg'), await jpeg(50, 40, 3));
    const lines = [
      { image: 'a.jpg', question: 'Colour of the cap?', answer: 'red', bbox: [1, 2, 30, 20], dimension: 'color' }, // 0 ok
      { image: 'a.jpg', question: 'Q?', bbox: [1, 2, 3, 4] }, // 1 no answer
      { image: 'a.jpg', question: 'Q?', answer: '2', bbox: [1, 2, 3] }, // 2 bbox not 4 numbers
      { image: 'a.jpg', question: 'Q?', answer: '2', bbox: [5, 2, 5, 9] }, // 3 x2 <= x1
      { image: 'missing.jpg', question: 'Q?', answer: '2', bbox: [1, 2, 3, 4] }, // 4 missing image
      { image: 'a.jpg', question: 'Q?', answer: '2', bbox: [1, 2, 3, 4], question_type: 'essay' }, // 5 unknown type
      'not json', // 6
      { id: 'x', image: 'a.jpg', question: 'Pick\nA. one\nB. two', answer: 'B', bbox: ['1', '2', '3', '4'] }, // 7 ok, mcq inferred
      { id: 'x', image: 'a.jpg', question: 'Q?', answer: '1', bbox: [1, 2, 3, 4] }, // 8 duplicate id
      { image: 'a.jpg', question: 'Q?', answer: '1' }, // 9 bbox missing (required in JSONL)
      { image: 'a.jpg', question: 'Q?', answer: '1', bbox: [1, 2, 3, 4], crop_image: 'nope.jpg' }, // 10 missing crop
    ];
    writeFileSync(join(dir, 'bench.jsonl'), lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n\n');
    const bench = await openBenchmark(join(dir, 'bench.jsonl'));
    expect(bench.info.format).toBe('loupe-jsonl');
    expect(bench.items.map((i) => [i.id, i.row, i.questionType])).toEqual([
      ['0', 0, 'blank'],
      ['x', 7, 'mcq'],
    ]);
    expect(bench.items[1].bbox).toEqual([1, 2, 3, 4]);
    expect(bench.items[0].hasCrop).toBe(false);
    expect(await bench.items[0].readCrop()).toBeUndefined();
    expect(bench.info.issues.map((i) => [i.row, i.field])).toEqual([
      [1, 'answer|response'],
      [2, 'bbox'],
      [3, 'bbox'],
      [4, 'image'],
      [5, 'question_type'],
      [6, 'line'],
      [8, 'id'],
      [9, 'bbox'],
      [10, 'crop_image'],
    ]);
    for (const i of bench.info.issues) expect(i.message.length).toBeGreaterThan(10);
  });

  it('fails clearly on paths that are not benchmarks', async () => {
    await expect(openBenchmark(join(root, 'nothing-here'))).rejects.toThrow(NotFoundError);
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    await expect(openBenchmark(empty)).rejects.toThrow(InvalidBenchError);
    writeFileSync(join(empty, 'obj.json'), '{"a": 1}');
    await expect(openBenchmark(join(empty, 'obj.json'))).rejects.toThrow(/not a list/);
  });
});
