// `loupe inspect IMAGE QUESTION [--box x1,y1,x2,y2]`: one analysis: the answer, the box metrics per
// layer (computed by the shared metrics module, like the renderer) and a PNG heatmap overlay.
import { basename, extname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type {
  AnalysisResult,
  Box,
  LayerMetrics,
  LoadedModel,
  PreprocessChoice,
  PreprocessInfo,
  ProviderChoice,
  QuestionType,
  TorchDtype,
} from '../../contract/types.js';
import { headAggregate, metricsByLayer } from '../../engine/metrics/index.js';
import { flag, parseBox, parseCommand, parseIntOption, parsePreprocess, PREPROCESS_OPTIONS, PREPROCESS_USAGE, str } from '../args.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { parseColormap, writeOverlay } from '../overlay.js';
import {
  ACTIVATION_USAGE,
  ANALYSES_OPTIONS,
  ANALYSES_USAGE,
  forModel,
  parseActivation,
  parseAnalyses,
  type AnalysesArgs,
} from '../analyses-args.js';
import type { ActivationOptions, ActivationResult, FaithfulnessResult } from '../../contract/analyses.js';
import { inferQuestionType } from '../../engine/bench/rows.js';
import { analysesLines, analysesReport, type InspectSelfZoom, type JudgedAnswer } from './inspect-analyses.js';
import { settleChoice } from '../../engine/preprocess/protocol.js';
import { fmt, pct, pickModel, printJson } from './common.js';

export const inspectUsage = `loupe inspect IMAGE QUESTION [options]

  One image and question: prints the answer, token probabilities and the key box's metrics, and
  writes a PNG heatmap overlay.

  --box x1,y1,x2,y2     key region in original image pixels (enables coverage metrics)
  --model DIR|NAME      model folder or bundled model name (default: the bundled R2I student)
  --layer N             1-based layer for the overlay and headline metrics (default: the model's)
  --out FILE            overlay PNG (default: ./<image>.loupe.png)
  --no-overlay          skip the PNG
  --colormap NAME       inferno (default), magma, viridis, turbo
  --max-new-tokens N    greedy decoding budget (default 16)
  --provider P          auto (default), cpu, cuda, webgpu (a Hugging Face checkpoint: auto, cpu, cuda)
  --dtype D             Hugging Face checkpoints (PyTorch engine): fp32 (default), bf16, fp16
  --truth ANSWER        the expected answer: judges the answer (and the self-zoom answer)
  --question-type T     mcq or blank, for --truth (default: mcq when the question lists A. B. ...)
${PREPROCESS_USAGE}
${ANALYSES_USAGE}${ACTIVATION_USAGE}  --json                machine-readable output on stdout
`;

const PROVIDERS: readonly ProviderChoice[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export function parseProvider(value: string | undefined): ProviderChoice {
  if (value === undefined) return 'auto';
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ProviderChoice;
  throw usageError(`--provider must be one of ${PROVIDERS.join(', ')}; got "${value}".`);
}

const DTYPES: readonly TorchDtype[] = ['fp32', 'bf16', 'fp16'];

export function parseDtype(value: string | undefined): TorchDtype | undefined {
  if (value === undefined) return undefined;
  if ((DTYPES as readonly string[]).includes(value)) return value as TorchDtype;
  throw usageError(`--dtype must be one of ${DTYPES.join(', ')}; got "${value}".`);
}

export interface InspectArgs {
  image: string;
  question: string;
  box?: Box;
  model?: string;
  layer?: number;
  out?: string;
  overlay: boolean;
  colormap: ReturnType<typeof parseColormap>;
  maxNewTokens: number;
  provider: ProviderChoice;
  dtype?: TorchDtype;
  preprocess: PreprocessChoice;
  json: boolean;
  analyses: AnalysesArgs;
  activation?: ActivationOptions;
  truth?: { answer: string; questionType: QuestionType };
}

export function parseInspectArgs(argv: string[], cwd: string): InspectArgs {
  const p = parseCommand('inspect', argv, {
    box: { type: 'string' },
    model: { type: 'string' },
    layer: { type: 'string' },
    out: { type: 'string' },
    'no-overlay': { type: 'boolean' },
    colormap: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    provider: { type: 'string' },
    dtype: { type: 'string' },
    truth: { type: 'string' },
    'question-type': { type: 'string' },
    ...ANALYSES_OPTIONS,
    ...PREPROCESS_OPTIONS,
  });
  if (p.positionals.length !== 2)
    throw usageError(`loupe inspect needs IMAGE and QUESTION (quote the question); got ${p.positionals.length} arguments.`);
  const [image, question] = p.positionals as [string, string];
  const args: InspectArgs = {
    image: resolve(cwd, image),
    question,
    overlay: !flag(p, 'no-overlay'),
    colormap: parseColormap(str(p, 'colormap')),
    maxNewTokens: parseIntOption(str(p, 'max-new-tokens'), 'max-new-tokens', 1) ?? 16,
    provider: parseProvider(str(p, 'provider')),
    preprocess: parsePreprocess(p),
    json: flag(p, 'json'),
    analyses: parseAnalyses(p),
  };
  const activation = parseActivation(p);
  if (activation) args.activation = activation;
  const truth = str(p, 'truth');
  const qt = str(p, 'question-type');
  if (qt !== undefined && qt !== 'mcq' && qt !== 'blank') throw usageError(`--question-type must be mcq or blank; got "${qt}".`);
  if (qt !== undefined && truth === undefined) throw usageError('--question-type needs --truth.');
  if (truth !== undefined)
    args.truth = { answer: truth, questionType: (qt as QuestionType | undefined) ?? inferQuestionType(question, truth) };
  const box = parseBox(str(p, 'box'));
  if (box) args.box = box;
  const dtype = parseDtype(str(p, 'dtype'));
  if (dtype) args.dtype = dtype;
  const model = str(p, 'model');
  if (model !== undefined) args.model = model;
  const layer = parseIntOption(str(p, 'layer'), 'layer', 1);
  if (layer !== undefined) args.layer = layer;
  const out = str(p, 'out');
  if (out !== undefined) args.out = resolve(cwd, out);
  return args;
}

export async function runInspect(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseInspectArgs(argv, ctx.io.cwd);
  if (!existsSync(args.image)) throw new CliError(`Image not found: ${args.image}`, EXIT.notFound);
  const maxPixels = args.preprocess.maxPixels;
  const session = await ctx.openEngine(maxPixels !== undefined ? { maxPixels } : {});
  try {
    const { client } = session;
    const model = await pickModel(client, ctx.io, args.model);
    // Refused now, naming the file and the cause, before the model is loaded.
    const protocol = settleChoice(args.preprocess, model.manifest).protocol;
    await client.call('images.check', { source: { kind: 'path', path: args.image }, protocol }, { signal: ctx.signal });
    const loaded = await client.call(
      'models.load',
      { modelId: model.id, provider: args.provider, ...(args.dtype ? { dtype: args.dtype } : {}) },
      { signal: ctx.signal },
    );
    const result = await client.call(
      'analysis.run',
      {
        modelId: model.id,
        image: { kind: 'path', path: args.image },
        question: args.question,
        maxNewTokens: args.maxNewTokens,
        withGeneric: true,
        preprocess: args.preprocess,
        ...(args.box ? { box: args.box } : {}),
        ...forModel(args.analyses, model.numLayers),
        ...(args.activation ? { activation: args.activation } : {}),
      },
      { signal: ctx.signal },
    );
    for (const w of result.preprocess.warnings) ctx.io.err(`warning: ${w}\n`);
    const layer = args.layer ?? model.defaultLayer;
    if (layer > result.attention.numLayers)
      throw usageError(`--layer ${layer} is out of range: ${model.name} has layers 1..${result.attention.numLayers}.`);
    const byLayer: Record<string, LayerMetrics> | null = args.box
      ? metricsByLayer({
          attention: result.attention,
          geometry: result.geometry,
          box: args.box,
          ...(result.genericAttention ? { genericAttention: result.genericAttention } : {}),
        })
      : null;
    const overlayPath = args.overlay ? (args.out ?? resolve(ctx.io.cwd, `${basename(args.image, extname(args.image))}.loupe.png`)) : null;
    if (overlayPath) {
      await writeOverlay({
        imagePath: args.image,
        values: headAggregate(result.attention, layer, 'mean', 0),
        gridH: result.geometry.gridH,
        gridW: result.geometry.gridW,
        out: overlayPath,
        colormap: args.colormap,
        protocol: result.preprocess.protocol,
        ...(args.box ? { box: args.box } : {}),
        ...(result.selfZoom ? { cropBox: result.selfZoom.box } : {}),
      });
    }
    const report: InspectReport = {
      ...buildReport(result, model.name, model.id, providerLabel(loaded), layer, byLayer, overlayPath),
      image: args.image,
      ...analysesReport(result, args.truth),
    };
    if (args.json) printJson(ctx.io, report);
    else printHuman(ctx, report);
    return EXIT.ok;
  } finally {
    await session.dispose();
  }
}

export interface InspectReport {
  model: { name: string; id: string };
  provider: string;
  image: string;
  question: string;
  answer: string;
  tokens: { text: string; prob: number }[];
  box: Box | null;
  layer: number;
  /** Headline numbers at `layer` (null without --box). */
  coverage: { paper: number; area: number } | null;
  metrics: LayerMetrics | null;
  coverageByLayer: Record<string, LayerMetrics> | null;
  grid: {
    gridH: number;
    gridW: number;
    tokenPx: number;
    resizedWidth: number;
    resizedHeight: number;
    imageWidth: number;
    imageHeight: number;
  };
  /** How the image was prepared: protocol, pixel budget, sizes, warnings. */
  preprocess: PreprocessInfo;
  overlay: string | null;
  timings: AnalysisResult['timings'];
  /** With --truth: the judge's verdict on the answer. */
  judgement?: JudgedAnswer;
  /** With --self-zoom / --faithfulness (docs/metrics.md). */
  selfZoom?: InspectSelfZoom;
  faithfulness?: FaithfulnessResult;
  activation?: ActivationResult;
}

/** "cpu", or for the PyTorch engine "cpu (PyTorch bf16; torch 2.13.0, transformers 5.18.0)". */
export function providerLabel(loaded: LoadedModel): string {
  return loaded.dtype ? `${loaded.provider} (PyTorch ${loaded.dtype}; ${loaded.runtime ?? ''})` : loaded.provider;
}

function buildReport(
  result: AnalysisResult,
  modelName: string,
  modelId: string,
  provider: string,
  layer: number,
  byLayer: Record<string, LayerMetrics> | null,
  overlay: string | null,
): InspectReport {
  const metrics = byLayer?.[String(layer)] ?? null;
  const g = result.geometry;
  return {
    model: { name: modelName, id: modelId },
    provider,
    image: '',
    question: result.question,
    answer: result.answer,
    tokens: result.tokens.map((t) => ({ text: t.text, prob: t.prob })),
    box: result.box ?? null,
    layer,
    coverage: metrics ? { paper: metrics.coveragePaper, area: metrics.coverageArea } : null,
    metrics,
    coverageByLayer: byLayer,
    grid: {
      gridH: g.gridH,
      gridW: g.gridW,
      tokenPx: g.tokenPx,
      resizedWidth: g.resizedWidth,
      resizedHeight: g.resizedHeight,
      imageWidth: g.imageWidth,
      imageHeight: g.imageHeight,
    },
    preprocess: result.preprocess,
    overlay,
    timings: result.timings,
  };
}

function printHuman(ctx: CliContext, r: InspectReport): void {
  const lines = [
    `model     ${r.model.name} (${r.provider})`,
    `question  ${r.question}`,
    `answer    ${r.answer}`,
    `tokens    ${r.tokens.map((t) => `${JSON.stringify(t.text)} ${pct(t.prob)}`).join('  ')}`,
    `grid      ${r.grid.gridH}x${r.grid.gridW} tokens over ${r.grid.imageWidth}x${r.grid.imageHeight} px`,
    `preprocess ${describePreprocess(r.preprocess)}`,
  ];
  if (r.metrics) {
    const m = r.metrics;
    lines.push(
      `layer ${r.layer}  coverage paper ${fmt(m.coveragePaper)}  area-exact ${fmt(m.coverageArea)}  ratio ${fmt(m.ratio, 2)}  pointing ${m.pointing ? 'hit' : 'miss'}  entropy ${fmt(m.entropy, 3)}`,
    );
    if (m.relCoveragePaper !== undefined) lines.push(`          relative coverage (vs generic prompt) ${fmt(m.relCoveragePaper)}`);
    const curve = Object.entries(r.coverageByLayer ?? {}).map(([l, v]) => `${l}:${fmt(v.coveragePaper, 3)}`);
    lines.push(`per layer ${curve.join(' ')}`);
  } else lines.push('metrics   pass --box x1,y1,x2,y2 for coverage, ratio and pointing game');
  if (r.judgement) lines.push(`judged    ${r.judgement.judgement} (${r.judgement.reason})`);
  lines.push(...analysesLines(r));
  if (r.overlay) lines.push(`overlay   ${r.overlay}${r.selfZoom ? ' (key box cyan, self-zoom crop dashed yellow)' : ''}`);
  const t = r.timings;
  lines.push(
    `timings   preprocess ${fmt(t.preprocessMs, 0)} ms, vision ${fmt(t.visionMs, 0)} ms, prefill ${fmt(t.prefillMs, 0)} ms, decode ${fmt(t.decodeMs, 0)} ms`,
  );
  ctx.io.out(`${lines.join('\n')}\n`);
}

/** "paper protocol, resized to 672x448 (fetch 672x448), processor budget 4194304 px": the line beside the numbers. */
export function describePreprocess(p: PreprocessInfo): string {
  const fetch = p.fetchWidth !== undefined ? ` (fetch_image ${p.fetchWidth}x${p.fetchHeight})` : '';
  const cap = p.userMaxPixels !== undefined ? `, capped by --max-pixels ${p.userMaxPixels}` : '';
  return `${p.protocol} protocol: ${p.sourceWidth}x${p.sourceHeight} px resized to ${p.resizedWidth}x${p.resizedHeight}${fetch}, processor budget ${p.maxPixels} px${cap}`;
}
