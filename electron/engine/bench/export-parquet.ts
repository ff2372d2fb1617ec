// Writes a bench in the Hugging Face ZoomBench parquet layout with hyparquet-writer (which does
// write struct and list columns when given an explicit schema): id, query, response (strings),
// image and crop_image ({bytes: binary, path: string} structs), question_type (string),
// bbox (list<int64>, or list<double> when a coordinate is fractional), dimension (string).
// Same columns as native-models/write_parquet.py. All rows are held in memory while writing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { LoadedBench } from './types.js';

type SchemaElement = NonNullable<Parameters<typeof parquetWriteBuffer>[0]['schema']>[number];

function imageGroup(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
}

function stringColumn(name: string): SchemaElement {
  return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
}

export interface ExportParquetResult {
  path: string;
  rows: number;
}

export async function exportBenchParquet(bench: LoadedBench, outPath: string, signal?: AbortSignal): Promise<ExportParquetResult> {
  const ids: string[] = [];
  const queries: string[] = [];
  const responses: string[] = [];
  const images: ({ bytes: Uint8Array; path: string } | null)[] = [];
  const crops: ({ bytes: Uint8Array; path: string } | null)[] = [];
  const types: string[] = [];
  const boxes: (number[] | bigint[] | null)[] = [];
  const dims: (string | null)[] = [];
  const integerBoxes = bench.items.every((it) => it.bbox === undefined || it.bbox.every(Number.isInteger));
  for (const it of bench.items) {
    signal?.throwIfAborted();
    ids.push(it.id);
    queries.push(it.question);
    responses.push(it.answer);
    images.push({ bytes: new Uint8Array(await it.readImage()), path: it.imagePath ? basename(it.imagePath) : `${it.id}.jpg` });
    const crop = await it.readCrop();
    crops.push(crop ? { bytes: new Uint8Array(crop), path: it.cropPath ? basename(it.cropPath) : `${it.id}_crop.jpg` } : null);
    types.push(it.questionType);
    boxes.push(it.bbox === undefined ? null : integerBoxes ? it.bbox.map((v) => BigInt(v)) : [...it.bbox]);
    dims.push(it.dimension ?? null);
  }
  const schema: SchemaElement[] = [
    { name: 'root', num_children: 8 },
    stringColumn('id'),
    stringColumn('query'),
    stringColumn('response'),
    ...imageGroup('image'),
    ...imageGroup('crop_image'),
    stringColumn('question_type'),
    { name: 'bbox', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: integerBoxes ? 'INT64' : 'DOUBLE', repetition_type: 'OPTIONAL' },
    stringColumn('dimension'),
  ];
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids },
      { name: 'query', data: queries },
      { name: 'response', data: responses },
      { name: 'image', data: images },
      { name: 'crop_image', data: crops },
      { name: 'question_type', data: types },
      { name: 'bbox', data: boxes },
      { name: 'dimension', data: dims },
    ],
    schema,
    // Small row groups: readers fetch one image at a time and should not decode a whole bench.
    rowGroupSize: 64,
  });
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, new Uint8Array(buffer));
  return { path: outPath, rows: ids.length };
}
