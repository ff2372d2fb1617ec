// Engine benchmarks (issue §9): single-item latency per stage, batch throughput on the mini bench (both
// views), attention-tap overhead (same decoder with and without taps) and the memory of last-row taps
// against full attention matrices. Every figure comes from this one run on this machine.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisResult, Box, View } from '../contract/types.js';
import { analyzeImage } from '../engine/analysis/analyze.js';
import { EngineHost } from '../engine/host/index.js';
import { decodeImage } from '../engine/image/decode.js';
import { metricsByLayer } from '../engine/metrics/index.js';
import { prepareQuestion } from '../engine/model/prompt.js';
import { loadRuntime, type ModelRuntime } from '../engine/model/runtime.js';
import { Tensor } from '../engine/model/transformers.js';
import { encodeVision, mergePrompt } from '../engine/model/vision.js';
import { measureResizeFilter } from './resize-filter.js';
import { measureTapOverhead, notapPath, type PrefillFeeds, type TapOverhead } from './tap-overhead.js';
import { tapMemoryTable, QWEN3_VL_8B, TEXT_TOKENS } from './tap-memory.js';
import { fmtBytes, fmtMs, mdTable, median, type BenchContext, type BenchReport } from './types.js';

interface MiniItem {
  id: string;
  images: string[];
  crop_images?: string[];
  query: string;
  bbox: Box;
}

/** The bench model: LOUPE_BENCH_MODEL, else the bundled R2I student, else the base student, else the dev package. */
function benchModelDir(root: string): string | null {
  const env = process.env['LOUPE_BENCH_MODEL'];
  const candidates = [
    env,
    join(root, 'resources/models/loupe-tiny-r2i'),
    join(root, 'resources/models/loupe-tiny-base'),
    join(root, 'native-models/build/random-tiny'),
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'onnx/decoder_model_merged.onnx'))) return c;
  return null;
}

const STAGES = ['preprocessMs', 'visionMs', 'prefillMs', 'decodeMs', 'metricsMs'] as const;

async function latency(rt: ModelRuntime, benchDir: string, item: MiniItem, reps: number, maxNewTokens: number) {
  const image = await decodeImage({ path: join(benchDir, item.images[0]) });
  const run = async (): Promise<{ r: AnalysisResult; metricsModuleMs: number }> => {
    const r = await analyzeImage(rt, image, { question: item.query, box: item.bbox, maxNewTokens, withGeneric: true });
    const t = performance.now();
    metricsByLayer({
      attention: r.attention,
      geometry: r.geometry,
      box: item.bbox,
      ...(r.genericAttention ? { genericAttention: r.genericAttention } : {}),
    });
    return { r, metricsModuleMs: performance.now() - t };
  };
  await run(); // warm-up: arena allocation, first-call JIT
  const samples: { r: AnalysisResult; metricsModuleMs: number }[] = [];
  for (let i = 0; i < reps; i++) samples.push(await run());
  const med = Object.fromEntries(STAGES.map((s) => [s, median(samples.map((x) => x.r.timings[s]))])) as Record<
    (typeof STAGES)[number],
    number
  >;
  const metricsModuleMs = median(samples.map((x) => x.metricsModuleMs));
  const totalMs = median(samples.map((x) => STAGES.reduce((a, s) => a + x.r.timings[s], 0) + x.metricsModuleMs));
  const last = samples[samples.length - 1].r;
  return {
    ...med,
    metricsModuleMs,
    totalMs,
    reps,
    maxNewTokens,
    generatedTokens: last.tokens.length,
    imageWidth: image.width,
    imageHeight: image.height,
    grid: `${last.geometry.gridH}x${last.geometry.gridW}`,
  };
}

async function throughput(root: string, modelDir: string, benchDir: string, limit: number, maxNewTokens: number, log: (m: string) => void) {
  const runsDir = mkdtempSync(join(tmpdir(), 'loupe-bench-runs-'));
  const host = new EngineHost({ runsDir, resourcesDir: join(root, 'resources') });
  const signal = new AbortController().signal;
  const out: Record<
    string,
    { items: number; units: number; seconds: number; itemsPerSecond: number; unitsPerSecond: number; failed: number }
  > = {};
  try {
    await host.handle('models.load', { modelId: modelDir, provider: 'auto' }, signal);
    const bench = await host.handle('bench.open', { path: benchDir }, signal);
    for (const views of [['global'], ['regional'], ['global', 'regional']] as View[][]) {
      const key = views.join('+');
      log(`  batch ${key}, ${limit} items`);
      const t = performance.now();
      const { runId } = await host.handle(
        'batch.start',
        { modelId: modelDir, benchId: bench.id, views, layers: [], maxNewTokens, limit },
        signal,
      );
      await host.batches.wait(runId);
      const seconds = (performance.now() - t) / 1000;
      const records = await host.handle('batch.records', { runId }, signal);
      out[key] = {
        items: limit,
        units: records.length,
        seconds,
        itemsPerSecond: limit / seconds,
        unitsPerSecond: records.length / seconds,
        failed: records.filter((r) => r.error !== undefined).length,
      };
    }
  } finally {
    await host.dispose();
    rmSync(runsDir, { recursive: true, force: true });
  }
  return out;
}

async function prefillFeeds(rt: ModelRuntime, benchDir: string, item: MiniItem): Promise<PrefillFeeds> {
  const image = await decodeImage({ path: join(benchDir, item.images[0]) });
  const { image: prepared, prompt } = await prepareQuestion(rt, image, item.query);
  const merged = await mergePrompt(rt, await encodeVision(rt, prepared), prompt);
  const [positionIds, deltas] = rt.model.get_rope_index(prompt.inputIds, prepared.imageGridThw, null, prompt.attentionMask);
  const stepEmbed = await rt.model.encode_text({
    input_ids: new Tensor('int64', BigInt64Array.from([BigInt(rt.spec.visionEndTokenId)]), [1, 1]),
  });
  return {
    inputsEmbeds: merged.inputsEmbeds,
    attentionMask: merged.attentionMask,
    positionIds,
    ropeDelta: BigInt((deltas.data as BigInt64Array)[0]),
    stepEmbed,
    ...(merged.deepstack ? { deepstack: merged.deepstack } : {}),
  };
}

/** Packages that may ship a no-tap decoder: the bench model first, then the bundled students, the
 * development export and the test exports (tapOverheadAll skips those without one). */
function notapCandidates(root: string, modelDir: string): string[] {
  const packagesIn = (dir: string) =>
    existsSync(dir)
      ? readdirSync(dir)
          .sort()
          .map((d) => join(dir, d))
      : [];
  const list = [
    modelDir,
    ...packagesIn(join(root, 'resources/models')),
    join(root, 'native-models/build/random-tiny'),
    ...packagesIn(join(root, 'test/fixtures/models')),
  ];
  return [...new Set(list)].filter((d) => existsSync(join(d, 'onnx/decoder_model_merged.onnx')));
}

async function tapOverheadAll(ctx: BenchContext, modelDir: string, benchDir: string, item: MiniItem, steps: number) {
  const rows: (TapOverhead & { name: string; family: string; shape: string })[] = [];
  for (const dir of notapCandidates(ctx.root, modelDir)) {
    const rt = await loadRuntime(dir, 'cpu');
    try {
      if (!notapPath(rt)) continue;
      ctx.log(`    ${rt.info.name}`);
      const t = await measureTapOverhead(rt, await prefillFeeds(rt, benchDir, item), ctx.quick ? 5 : 15, steps);
      if (t) rows.push({ ...t, name: rt.info.name, family: rt.spec.family, shape: `${rt.spec.numLayers} x ${rt.spec.numHeads}` });
    } finally {
      await rt.dispose();
    }
  }
  return rows;
}

export default async function engineBench(ctx: BenchContext): Promise<BenchReport> {
  const modelDir = benchModelDir(ctx.root);
  const benchDir = join(ctx.root, 'resources/bench/loupe-mini');
  const memory = tapMemoryTable();
  const md: string[] = [];
  const results: Record<string, unknown> = { tapMemory: { model: QWEN3_VL_8B, textTokens: TEXT_TOKENS, bytesPerFloat: 4, rows: memory } };
  if (!modelDir || !existsSync(join(benchDir, 'test.json'))) {
    md.push('_No model package or mini bench found: only the computed memory table below._');
  } else {
    const items = JSON.parse(readFileSync(join(benchDir, 'test.json'), 'utf8')) as MiniItem[];
    const item = items[0];
    const reps = ctx.quick ? 3 : 7;
    const maxNewTokens = 8;
    ctx.log(`engine bench: model ${modelDir}`);
    const rt = await loadRuntime(modelDir, 'auto');
    try {
      results['model'] = {
        dir: modelDir,
        name: rt.info.name,
        layers: rt.spec.numLayers,
        heads: rt.spec.numHeads,
        provider: rt.provider,
        hash: rt.info.hash,
      };
      md.push(
        `Model: \`${rt.info.name}\` (${rt.spec.family}, ${rt.spec.numLayers} layers x ${rt.spec.numHeads} heads, hidden ${rt.spec.hiddenSize}), provider **${rt.provider}**; mini-bench item \`${item.id}\`.`,
      );

      ctx.log('  latency per stage');
      const lat = await latency(rt, benchDir, item, reps, maxNewTokens);
      results['latency'] = lat;
      md.push(
        `\n### Single-item latency per stage\n\nMedian of ${reps} runs after one warm-up; image ${lat.imageWidth}x${lat.imageHeight} -> grid ${lat.grid}, ${lat.generatedTokens} generated token(s) (max ${maxNewTokens}; the student stops at its end token), generic prompt included (its prefill counts under prefill). "metrics (engine)" is building the attention maps from the taps; "metrics (all layers)" is the metrics module on every layer.\n`,
      );
      md.push(
        mdTable(
          ['stage', 'ms'],
          [
            ['preprocess', fmtMs(lat.preprocessMs)],
            ['vision', fmtMs(lat.visionMs)],
            ['prefill (question + generic)', fmtMs(lat.prefillMs)],
            ['decode', fmtMs(lat.decodeMs)],
            ['metrics (engine)', fmtMs(lat.metricsMs)],
            ['metrics (all layers)', fmtMs(lat.metricsModuleMs)],
            ['**total**', `**${fmtMs(lat.totalMs)}**`],
          ],
        ),
      );

      ctx.log('  resize filter vs PIL');
      const resize = await measureResizeFilter(rt, await decodeImage({ path: join(benchDir, item.images[0]) }));
      results['resizeFilter'] = resize;
      md.push('\n### Resize filter: transformers.js vs PIL\n');
      if (!resize) md.push('_Python venv with PIL not found: not measured._');
      else {
        md.push(
          `transformers.js resizes with sharp's affine bicubic (no antialiasing when downscaling); the Python side (training, evaluation, parity fixtures) uses PIL's antialiased bicubic. Same oriented pixels of \`${item.id}\`, ${resize.from.join('x')} -> ${resize.to.join('x')}, compared on the normalised pixel_values: mean |diff| ${resize.meanAbs.toFixed(4)} (${resize.meanLevels.toFixed(2)} 8-bit levels), 99th percentile ${resize.p99Abs.toFixed(3)}, max ${resize.maxAbs.toFixed(3)} (${resize.maxLevels.toFixed(0)} levels, at sharp edges). Images that need no resize (sides already multiples of ${rt.spec.patchSize * rt.spec.spatialMergeSize} within the pixel budget) are bit-identical; the parity fixtures use such sizes.`,
        );
      }
    } finally {
      await rt.dispose();
    }

    ctx.log('  tap overhead');
    const taps = await tapOverheadAll(ctx, modelDir, benchDir, item, maxNewTokens);
    results['tapOverhead'] = taps;
    md.push('\n### Attention-tap overhead\n');
    if (taps.length === 0)
      md.push(
        '_No package with a no-tap decoder (loupe.json `notap_decoder` / `files.decoder_without_taps`) was found, so the overhead was not measured._',
      );
    else {
      md.push(
        `Each package's decoder exported twice from the same weights, with and without the \`decoder_attentions.N\` outputs, run on the same prompt (mini-bench item, the package's own processor), then ${maxNewTokens} decode steps; medians of ${taps[0].repetitions} interleaved runs. Every package found with a no-tap decoder is measured: the bundled baseline student (it ships one for this benchmark), the development export and the test exports of the other families.\n`,
      );
      md.push(
        mdTable(
          [
            'package',
            'family',
            'layers x heads',
            'prompt tokens',
            'prefill ms (taps / none)',
            'ratio',
            'decode step ms (taps / none)',
            'ratio',
          ],
          taps.map((t) => [
            t.name,
            t.family,
            t.shape,
            String(t.promptTokens),
            `${fmtMs(t.prefillMsTaps)} / ${fmtMs(t.prefillMsNoTaps)}`,
            t.prefillRatio.toFixed(3),
            `${fmtMs(t.stepMsTaps)} / ${fmtMs(t.stepMsNoTaps)}`,
            t.stepRatio.toFixed(3),
          ]),
        ),
      );
    }

    const limit = ctx.quick ? 3 : 8;
    ctx.log('  batch throughput');
    const tp = await throughput(ctx.root, modelDir, benchDir, limit, maxNewTokens, ctx.log);
    results['throughput'] = tp;
    md.push(
      `\n### Batch throughput on the mini bench\n\nFirst ${limit} items of loupe-mini, maxNewTokens ${maxNewTokens}, generic prompt on, all layers' metrics recorded, results appended to a JSONL store (fsync per record). An item in "global+regional" is two analyses.\n`,
    );
    md.push(
      mdTable(
        ['views', 'items/s', 'analyses/s', 's total', 'failed'],
        Object.entries(tp).map(([k, v]) => [
          k,
          v.itemsPerSecond.toFixed(2),
          v.unitsPerSecond.toFixed(2),
          v.seconds.toFixed(1),
          String(v.failed),
        ]),
      ),
    );
  }

  md.push(
    `\n### Memory: last-row taps vs full attention matrices\n\nComputed for ${QWEN3_VL_8B.name} (${QWEN3_VL_8B.layers} layers x ${QWEN3_VL_8B.heads} heads, ${QWEN3_VL_8B.tokenPx} px per visual token) on square images with ${TEXT_TOKENS} text tokens, float32. \`output_attentions=True\` keeps layers x heads x seq x seq for the prompt; Loupe's taps keep layers x heads x seq (the last query row), so the saving is a factor of seq. bf16 halves both columns.\n`,
  );
  md.push(
    mdTable(
      ['image', 'visual tokens', 'seq', 'full matrices', 'last-row taps', 'ratio'],
      memory.map((r) => [
        `${r.imagePx} px`,
        String(r.visualTokens),
        String(r.seq),
        fmtBytes(r.fullBytes),
        fmtBytes(r.lastRowBytes),
        `${r.ratio.toFixed(0)}x`,
      ]),
    ),
  );
  return { name: 'engine', title: 'Engine', markdown: md.join('\n'), results };
}
