// The exporter's fp32 ONNX package of a full-size checkpoint through the ONNX engine (issue 26 §3): the
// checkpoint torch-bench.ts builds (native-models/loupe_worker/full_size.py) exported by
// native-models/export_checkpoint.py (external data; parity skipped: it would hold the PyTorch model and
// the onnxruntime sessions at once), then ZoomBench-layout items (1280x960, paper protocol) through the
// ONNX engine in this process: export time and peak RSS, package size, load time, peak RSS, per-stage
// latency, CPU time and the load average. Kept under LOUPE_FULL_SIZE_DIR/onnx/NAME-fp32 between runs.
//   LOUPE_FULL_SIZE_DIR, LOUPE_ONNX_BENCH_MODELS (default qwen3_vl_2b), LOUPE_ONNX_BENCH_ITEMS (default 10),
//   LOUPE_ONNX_BENCH_MAX_PIXELS the engine's pixel budget (LOUPE_MAX_PIXELS) for a package the memory guard
//   refuses at the paper's 2048*1024 px: the load is planned for it (the row says so)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Box } from '../contract/types.js';
import { analyzeImage } from '../engine/analysis/analyze.js';
import { decodeImage } from '../engine/image/decode.js';
import { estimateMemory, onnxPackageDims } from '../engine/model/memory-estimate.js';
import { loadRuntime } from '../engine/model/runtime.js';
import { locatePython } from '../engine/torch/worker-process.js';
import { load1 } from './cpu-time.js';
import { runSampled, sampleResident, type ResidentPeak } from './process-tree.js';
import { MAX_NEW_TOKENS, STAGE_HEADERS, STAGES, sampledCell } from './torch-report.js';
import { fmtBytes, mdTable, median, type BenchContext, type BenchReport } from './types.js';

const MODELS = ['qwen3_vl_2b', 'qwen2_5_vl_3b'] as const;

interface ExportFigures {
  wallSeconds: number;
  peakRssBytes: number;
  seconds?: Record<string, number>;
  /** The exporter's own peak resident bytes per stage (VmHWM reset before each; load: since start). */
  stagePeakRssBytes?: Record<string, number>;
  /** What the export memory guard (loupe_export/export_memory.py) expects the peak to be, as of the latest run. */
  guardEstimateBytes?: number;
  packageBytes: number;
  files: Record<string, number>;
  failed?: string;
}

interface OnnxRow {
  model: string;
  measuredAt: string;
  export?: ExportFigures;
  refused?: string;
  /** The engine's pixel budget the load was planned for and requests got (paper's 2048*1024 when absent). */
  maxPixels?: number;
  loadSeconds?: number;
  rssAfterLoadBytes?: number;
  peakRssBytes?: number;
  /** Sampled every 100 ms from /proc over load and items: RSS, its anonymous and its mapped-file part. */
  sampledPeak?: ResidentPeak;
  guardEstimateBytes?: number;
  visualTokens?: number;
  perItem?: { id: string; wallMs: number; cpuSeconds: number; load1AtEnd: number; stagesMs: Record<string, number>; answer: string }[];
}

const sizeOf = (dir: string): Record<string, number> =>
  Object.fromEntries(readdirSync(join(dir, 'onnx')).map((f) => [`onnx/${f}`, statSync(join(dir, 'onnx', f)).size]));

/** What the export guard expects now (it reads only the safetensors headers), beside what was measured. */
function exportGuardEstimate(checkpoint: string): number | undefined {
  const where = locatePython();
  const code = 'import sys; from loupe_export.export_memory import export_peak_bytes; print(export_peak_bytes(sys.argv[1], "fp32"))';
  const run = spawnSync(where.python, ['-c', code, checkpoint], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: where.nativeModels },
  });
  const bytes = Number(run.stdout.trim());
  return run.status === 0 && bytes > 0 ? bytes : undefined;
}

async function exportPackage(ctx: BenchContext, checkpoint: string, out: string): Promise<ExportFigures> {
  const figures = await exportOnce(ctx, checkpoint, out);
  const estimate = exportGuardEstimate(checkpoint);
  return estimate === undefined ? figures : { ...figures, guardEstimateBytes: estimate };
}

async function exportOnce(ctx: BenchContext, checkpoint: string, out: string): Promise<ExportFigures> {
  const cached = `${out}.export.json`;
  if (existsSync(join(out, 'loupe.json')) && existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as ExportFigures;
  const where = locatePython();
  ctx.log(`  exporting ${checkpoint} -> ${out} (fp32, external data)`);
  const run = await runSampled(
    where.python,
    [join(where.nativeModels, 'export_checkpoint.py'), checkpoint, out, '--dtype', 'fp32', '--skip-parity', '--json'],
    { cwd: where.nativeModels, intervalMs: 500, env: { ...process.env, PYTHONPATH: where.nativeModels } },
  );
  const figures: ExportFigures = { wallSeconds: run.wallMs / 1000, peakRssBytes: run.peakTreeRssBytes, packageBytes: 0, files: {} };
  if (run.code !== 0) {
    figures.failed = run.stderr.trim().split('\n').slice(-3).join(' ');
    return figures;
  }
  const json = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
    seconds: Record<string, number>;
    peak_rss_bytes?: Record<string, number>;
  };
  figures.seconds = json.seconds;
  figures.stagePeakRssBytes = json.peak_rss_bytes;
  figures.files = sizeOf(out);
  figures.packageBytes = Object.values(figures.files).reduce((a, b) => a + b, 0);
  writeFileSync(cached, JSON.stringify(figures));
  return figures;
}

interface Item {
  id: string;
  images: string[];
  query: string;
  bbox: Box;
}

async function runItems(ctx: BenchContext, pkg: string, items: Item[], itemsDir: string, row: OnnxRow): Promise<void> {
  const t0 = performance.now();
  // onnxruntime's sessions live in this process: its memory from load to the last item.
  const resident = sampleResident(() => [process.pid]);
  let rt;
  try {
    rt = await loadRuntime(pkg, 'cpu', row.maxPixels !== undefined ? { maxPixels: row.maxPixels } : {});
  } catch (err) {
    resident.stop();
    row.refused = (err as Error).message;
    return;
  }
  try {
    row.loadSeconds = (performance.now() - t0) / 1000;
    row.rssAfterLoadBytes = process.memoryUsage().rss;
    row.guardEstimateBytes = estimateMemory(await onnxPackageDims(rt.info.dir, rt.spec), {
      dtype: 'fp32',
      device: 'cpu',
      protocol: 'paper',
      maxNewTokens: MAX_NEW_TOKENS,
      ...(row.maxPixels !== undefined ? { maxPixels: row.maxPixels } : {}),
    }).total;
    row.perItem = [];
    for (const item of items) {
      const image = await decodeImage({ path: join(itemsDir, item.images[0] ?? '') }, { protocol: 'paper' });
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      const r = await analyzeImage(rt, image, { question: item.query, box: item.bbox, maxNewTokens: MAX_NEW_TOKENS, withGeneric: true });
      const cpu = process.cpuUsage(cpu0);
      row.visualTokens = r.geometry.gridH * r.geometry.gridW;
      const fig = {
        id: item.id,
        wallMs: performance.now() - t,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        load1AtEnd: load1(),
        stagesMs: Object.fromEntries(STAGES.map((s) => [s, r.timings[s]])),
        answer: r.answer,
      };
      row.perItem.push(fig);
      ctx.log(`    item ${item.id}: ${JSON.stringify(fig)}`);
    }
  } finally {
    // getrusage's peak for this process: onnxruntime's sessions live in it (KiB on Linux).
    row.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    row.sampledPeak = resident.stop();
    await rt.dispose();
  }
}

function previousRows(root: string): OnnxRow[] {
  const file = join(root, 'docs/bench-results.json');
  if (!existsSync(file)) return [];
  const all = JSON.parse(readFileSync(file, 'utf8')) as { sections?: Record<string, { results?: { rows?: OnnxRow[] } }> };
  return all.sections?.['fullsize-onnx']?.results?.rows ?? [];
}

const sec = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(1));

export default async function fullsizeOnnxBench(ctx: BenchContext): Promise<BenchReport> {
  const dir = process.env['LOUPE_FULL_SIZE_DIR'] ?? join(homedir(), '.cache', 'loupe', 'full-size');
  const count = Number(process.env['LOUPE_ONNX_BENCH_ITEMS'] ?? (ctx.quick ? 1 : 10));
  const models = (process.env['LOUPE_ONNX_BENCH_MODELS'] ?? 'qwen3_vl_2b').split(',').map((s) => s.trim());
  const bad = models.filter((m) => !(MODELS as readonly string[]).includes(m));
  if (bad.length) throw new Error(`LOUPE_ONNX_BENCH_MODELS: ${bad.join(', ')} unknown; use ${MODELS.join(', ')}`);
  const maxPixelsEnv = process.env['LOUPE_ONNX_BENCH_MAX_PIXELS'];
  const maxPixels = maxPixelsEnv ? Number(maxPixelsEnv) : undefined;
  if (maxPixels !== undefined && !(Number.isInteger(maxPixels) && maxPixels > 0))
    throw new Error(`LOUPE_ONNX_BENCH_MAX_PIXELS must be a positive integer; got ${maxPixelsEnv}`);
  const itemsFile = join(dir, 'items', 'test.json');
  const fresh: OnnxRow[] = [];
  const missing: string[] = [];
  for (const model of models) {
    const checkpoint = join(dir, model);
    if (!existsSync(join(checkpoint, 'config.json')) || !existsSync(itemsFile)) {
      // A plain `npm run bench` on a machine without the checkpoints: the rows measured before are kept.
      ctx.log(`  ${model}: no checkpoint or items in ${dir}; \`npm run bench -- torch\` builds them`);
      missing.push(model);
      continue;
    }
    const items = (JSON.parse(readFileSync(itemsFile, 'utf8')) as Item[]).slice(0, count);
    const pkg = join(dir, 'onnx', `${model}-fp32`);
    const row: OnnxRow = { model, measuredAt: new Date().toISOString(), ...(maxPixels !== undefined ? { maxPixels } : {}) };
    fresh.push(row);
    row.export = await exportPackage(ctx, checkpoint, pkg);
    ctx.log(`    export ${JSON.stringify(row.export)}`);
    if (!row.export.failed && count > 0) await runItems(ctx, pkg, items, join(dir, 'items'), row);
    ctx.log(`    row ${JSON.stringify(row)}`);
  }
  const measured = fresh.map((r) => r.model);
  // Rows of earlier runs keep their measurements; the guard's estimate is the current code's where the checkpoint is here.
  const earlier = previousRows(ctx.root)
    .filter((r) => !measured.includes(r.model))
    .map((r) => {
      const estimate = r.export && existsSync(join(dir, r.model, 'config.json')) ? exportGuardEstimate(join(dir, r.model)) : undefined;
      return estimate !== undefined && r.export ? { ...r, export: { ...r.export, guardEstimateBytes: estimate } } : r;
    });
  const rows = [...earlier, ...fresh];
  const exportTable = mdTable(
    [
      'model',
      'export wall (s)',
      'stages (s)',
      'peak RSS (process tree)',
      'peak per stage',
      'export guard estimate',
      'package',
      'largest files',
    ],
    rows.map((r) => {
      const e = r.export;
      if (!e) return [r.model, '-', '-', '-', '-', '-', '-', '-'];
      const peaks = Object.entries(e.stagePeakRssBytes ?? {})
        .map(([k, v]) => `${k} ${fmtBytes(v)}`)
        .join(', ');
      const stages = Object.entries(e.seconds ?? {})
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ');
      const largest = Object.entries(e.files)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([f, b]) => `${f} ${fmtBytes(b)}`)
        .join(', ');
      return [
        r.model,
        e.wallSeconds.toFixed(0),
        e.failed ? `failed: ${e.failed.replace(/\|/g, '/')}` : stages,
        fmtBytes(e.peakRssBytes),
        peaks || '-',
        e.guardEstimateBytes ? fmtBytes(e.guardEstimateBytes) : '-',
        fmtBytes(e.packageBytes),
        largest,
      ];
    }),
  );
  const runTable = mdTable(
    [
      'model',
      'measured (UTC)',
      'items',
      'load (s)',
      'RSS after load',
      'peak RSS',
      'sampled peak: anonymous / mapped files',
      'pixel budget (load and requests)',
      'guard estimate',
      'visual tokens',
      ...STAGE_HEADERS,
      'item CPU (s)',
      'load avg (1 min)',
    ],
    rows.map((r) => {
      const when = r.measuredAt.slice(0, 16).replace('T', ' ');
      if (r.refused) return [r.model, when, '0', `refused: ${r.refused.replace(/\|/g, '/')}`, ...Array<string>(13).fill('')];
      const its = r.perItem ?? [];
      const med = (f: (x: (typeof its)[number]) => number): number | undefined => (its.length ? median(its.map(f)) : undefined);
      return [
        r.model,
        when,
        String(its.length),
        r.loadSeconds?.toFixed(1) ?? '-',
        r.rssAfterLoadBytes ? fmtBytes(r.rssAfterLoadBytes) : '-',
        r.peakRssBytes ? fmtBytes(r.peakRssBytes) : '-',
        sampledCell(r.sampledPeak),
        r.maxPixels !== undefined ? `${r.maxPixels} px (LOUPE_MAX_PIXELS)` : 'paper, 2097152 px',
        r.guardEstimateBytes ? fmtBytes(r.guardEstimateBytes) : '-',
        r.visualTokens === undefined ? '-' : String(r.visualTokens),
        ...STAGES.map((s) => sec(med((x) => x.stagesMs[s] ?? 0))),
        sec(med((x) => x.wallMs)),
        its.length ? (med((x) => x.cpuSeconds) ?? 0).toFixed(0) : '-',
        its.length ? `${Math.min(...its.map((x) => x.load1AtEnd))}-${Math.max(...its.map((x) => x.load1AtEnd))}` : '-',
      ];
    }),
  );
  const markdown = [
    `The full-size checkpoints of "PyTorch engine at full size (CPU)" exported by \`native-models/export_checkpoint.py CHECKPOINT OUT --dtype fp32 --skip-parity\` (TorchScript exporter; graphs over 2 GB are streamed tensor by tensor into one \`<graph>.onnx_data\` file, loupe_export/export.py) and run through the ONNX engine (onnxruntime-node, CPU) in the bench process on the same ZoomBench-layout items (1280 x 960, paper protocol, question + generic prompt, ${MAX_NEW_TOKENS} greedy tokens, taps at every layer). Command: \`LOUPE_FULL_SIZE_DIR=DIR LOUPE_ONNX_BENCH_MODELS=qwen3_vl_2b LOUPE_ONNX_BENCH_ITEMS=10 npm run bench -- fullsize-onnx\`; for Qwen2.5-VL-3B add \`LOUPE_ONNX_BENCH_MAX_PIXELS=1505280\`: its fp32 package is refused at load on a 24 GiB machine at the paper's 2048*1024 px (the guard plans for 2,674 visual tokens) and loads when the engine's budget (LOUPE_MAX_PIXELS) is 1,505,280 px (1,920 tokens); the 1280 x 960 items are under it, so they run unchanged (1,564 tokens). Parity is skipped at this size: it would hold the PyTorch model and the onnxruntime sessions at once.`,
    '',
    exportTable,
    '',
    runTable,
    '',
    ...(missing.length
      ? [
          `Not measured in the latest run: no checkpoint for ${missing.join(', ')} in LOUPE_FULL_SIZE_DIR (\`npm run bench -- torch\` builds them); the rows above are from earlier runs.`,
          '',
        ]
      : []),
    "Export peak RSS: the exporter's process tree sampled every 0.5 s; peak per stage: the exporter's own high-water mark (VmHWM, reset before each graph), which shows the graph that drives the peak (load's, like the process-tree figure, counts the bf16 safetensors mapped while they are converted to fp32: file pages the kernel can drop, which the export guard leaves out); export guard estimate: what `loupe_export/export_memory.py` expects before loading anything (it refuses over 90% of MemAvailable). Run peak RSS: getrusage maximum of the bench process, which hosts onnxruntime; the sampled peaks (every 100 ms from /proc, load included) split it into anonymous memory and mapped files. Item CPU: user + system seconds of that process (onnxruntime's threads included) for the item; the machine is shared, so compare CPU seconds with the load average beside them. Stage figures are medians over items.",
  ].join('\n');
  return { name: 'fullsize-onnx', title: 'ONNX engine at full size (CPU, fp32 package)', markdown, results: { rows } };
}
