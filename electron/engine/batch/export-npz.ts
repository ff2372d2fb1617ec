// A run as .npz: one row per record (item x view) with its judgement, every recorded layer's metrics
// and the head-mean attention grid the record kept. Grids differ in size between items (dynamic
// resolution), so they are stored back to back in `grid_values` with offsets. Layout (version 1) in
// docs/exports.md, with a Python snippet that loads it.
import type { BatchRecord, LayerMetrics } from '../../contract/types.js';
import { f32, i32, i8, jsonScalar, npzBytes, str, type NpyArray } from '../formats/npy.js';
import type { RunMeta } from './types.js';
import { analysesNpzArrays } from './export-analyses.js';

export const RUN_NPZ_FORMAT = 'loupe-run-npz/1';

const METRICS: [string, keyof LayerMetrics][] = [
  ['coverage_paper', 'coveragePaper'],
  ['coverage_area', 'coverageArea'],
  ['ratio', 'ratio'],
  ['entropy', 'entropy'],
  ['entropy_normalized', 'entropyNormalized'],
  ['rel_coverage_paper', 'relCoveragePaper'],
];

export function runToNpz(records: readonly BatchRecord[], meta: RunMeta, exportedAt = new Date().toISOString()): Uint8Array {
  const n = records.length;
  const layers = [...new Set(records.flatMap((r) => Object.keys(r.layers).map(Number)))].sort((a, b) => a - b);
  const L = layers.length;
  const arrays: Record<string, NpyArray> = {
    meta: jsonScalar({
      format: RUN_NPZ_FORMAT,
      runId: meta.runId,
      model: meta.model,
      bench: { name: meta.bench.name, id: meta.bench.id },
      spec: meta.spec,
      settingsHash: meta.settingsHash,
      state: meta.state,
      startedAt: meta.startedAt,
      records: n,
      metrics:
        'per record and recorded layer (columns follow `layers`), global view only, head mean, query 0 (last prompt token); NaN where not measured',
      grids: 'head-mean attention of query 0 at grid_layer: grid_values[grid_offset[i]:grid_offset[i+1]].reshape(grid_shape[i])',
      exportedAt,
    }),
    item_id: str(records.map((r) => r.itemId)),
    view: str(records.map((r) => r.view)),
    dimension: str(records.map((r) => r.dimension ?? '')),
    question_type: str(records.map((r) => r.questionType)),
    judgement: str(records.map((r) => (r.error !== undefined ? 'failed' : r.judgement))),
    answer: str(records.map((r) => r.answer)),
    ground_truth: str(records.map((r) => r.groundTruth)),
    error: str(records.map((r) => r.error ?? '')),
    bbox: f32(
      records.flatMap((r) => r.bbox ?? [NaN, NaN, NaN, NaN]),
      [n, 4],
    ),
    box_area_share: f32(records.map((r) => r.boxAreaShare ?? NaN)),
    layers: i32(layers),
  };
  for (const [name, key] of METRICS) {
    const v = new Float32Array(n * L).fill(NaN);
    records.forEach((r, i) =>
      layers.forEach((l, j) => {
        const x = r.layers[String(l)]?.[key];
        if (typeof x === 'number') v[i * L + j] = x;
      }),
    );
    arrays[name] = f32(v, [n, L]);
  }
  const pointing = new Int8Array(n * L).fill(-1);
  records.forEach((r, i) =>
    layers.forEach((l, j) => {
      const m = r.layers[String(l)];
      if (m) pointing[i * L + j] = m.pointing ? 1 : 0;
    }),
  );
  arrays.pointing = i8(pointing, [n, L]);
  const offsets = new Int32Array(n + 1);
  const shapes = new Int32Array(n * 2);
  const gridLayer = new Int32Array(n).fill(-1);
  let total = 0;
  records.forEach((r, i) => {
    offsets[i] = total;
    if (r.grid) {
      shapes[i * 2] = r.grid.gridH;
      shapes[i * 2 + 1] = r.grid.gridW;
      gridLayer[i] = r.gridLayer ?? -1;
      total += r.grid.values.length;
    }
  });
  offsets[n] = total;
  const values = new Float32Array(total);
  records.forEach((r, i) => {
    if (r.grid) values.set(r.grid.values, offsets[i]);
  });
  arrays.grid_offset = i32(offsets);
  arrays.grid_shape = i32(shapes, [n, 2]);
  arrays.grid_layer = i32(gridLayer);
  arrays.grid_values = f32(values);
  Object.assign(arrays, analysesNpzArrays(records));
  return npzBytes(arrays);
}
