// `loupe bench [BENCH]`: a batch run with a terminal progress bar. Running the same command again
// resumes the matching run, same spec and same model files (the engine's append-only store never redoes
// a finished item), which is also how an interrupted or killed run is continued.
import { resolve } from 'node:path';
import type { EngineClient, EngineEvent } from '../../contract/api.js';
import type { BatchSpec, RunInfo, RunSummary } from '../../contract/types.js';
import {
  flag,
  parseCommand,
  parseIntOption,
  parseLayers,
  parsePreprocess,
  parseShard,
  parseViews,
  PREPROCESS_OPTIONS,
  PREPROCESS_USAGE,
  str,
} from '../args.js';
import { settleChoice } from '../../engine/preprocess/protocol.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { ProgressBar } from '../progress.js';
import { fmt, pct, pickBench, pickModel, printJson } from './common.js';
import { parseDtype, parseProvider } from './inspect.js';
import { ACTIVATION_USAGE, ANALYSES_OPTIONS, ANALYSES_USAGE, forModel, parseActivation, parseAnalyses } from '../analyses-args.js';
import { canonicalActivation, canonicalFaithfulness, canonicalSelfZoom } from '../../engine/batch/analyses-spec.js';
import { summaryAnalysesLines } from './summary-analyses.js';

export const benchUsage = `loupe bench [BENCH] [options]

  Runs a model over a benchmark (both views by default) and records answers, judgements and
  coverage per layer. BENCH is a ZoomBench parquet/JSON file or folder, a Loupe JSONL file, or the
  name of a bundled benchmark (default: the bundled mini bench). The same command resumes.

  --model DIR|NAME       model folder or bundled model name (default: the bundled R2I student)
  --views global,regional
  --layers 1,4,20-24     1-based layers to record coverage for (default: all)
  --limit N              only the first N items of the bench (taken before sharding, so shards
                         i/n of one --limit together cover the same items as the unsharded run)
  --shard i/n            only items whose index % n == i (spread a run over cluster jobs; the run
                         id ends in -shard<i>of<n>; combine the shards with loupe merge)
  --max-new-tokens N     default 16
  --provider P           auto (default), cpu, cuda, webgpu
  --dtype D              Hugging Face checkpoints (PyTorch engine): fp32 (default), bf16, fp16
${PREPROCESS_USAGE}
  --runs DIR             results folder (default: the engine's runs folder)
  --new                  start a fresh run even if a matching one exists
  Opt-in analyses of the global view (recorded in the run's spec and settings hash; several
  re-runs per item, so a run takes several times longer, docs/metrics.md):
${ANALYSES_USAGE}${ACTIVATION_USAGE}
  --json                 print the run summary as JSON on stdout (progress stays on stderr)
`;

function sameSpec(a: BatchSpec, b: BatchSpec): boolean {
  const norm = (s: BatchSpec): string =>
    JSON.stringify([
      s.modelId,
      s.benchId,
      [...s.views].sort(),
      [...s.layers].sort((x, y) => x - y),
      s.maxNewTokens,
      s.shard ?? null,
      s.limit ?? null,
      s.selfZoom ? canonicalSelfZoom(s.selfZoom) : null,
      s.faithfulness ? canonicalFaithfulness(s.faithfulness) : null,
      s.activation ? canonicalActivation(s.activation) : null,
      s.preprocess?.protocol ?? null,
      s.preprocess?.maxPixels ?? null,
    ]);
  return norm(a) === norm(b);
}

interface Outcome {
  state: RunInfo['state'];
  error?: string;
  newItems: number;
  failedItems: number;
}

/** Collects a run's events from before its id is known (a fast run may finish before start() returns). */
function watchRun(client: EngineClient, bar: ProgressBar): { attach(runId: string): Promise<Outcome>; abandon(): void; stop(): void } {
  const buffered: EngineEvent[] = [];
  let runId: string | null = null;
  let newItems = 0;
  let failedItems = 0;
  let finish: ((o: Outcome) => void) | null = null;
  let fail: ((e: Error) => void) | null = null;
  const handle = (e: EngineEvent): void => {
    if (e.type === 'engine.restarted') {
      fail?.(
        new CliError(
          `The engine crashed during the run (${e.reason}). Finished items are saved: run the same command to resume.`,
          EXIT.internal,
        ),
      );
      return;
    }
    if (!('runId' in e) || e.runId !== runId) return;
    if (e.type === 'batch.progress') bar.update(e);
    if (e.type === 'batch.item') {
      newItems += 1;
      if (e.record.error) failedItems += 1;
    }
    if (e.type === 'batch.finished') finish?.({ state: e.state, newItems, failedItems, ...(e.error ? { error: e.error } : {}) });
  };
  const off = client.onEvent((e) => (runId === null ? buffered.push(e) : handle(e)));
  return {
    attach(id) {
      runId = id;
      const done = new Promise<Outcome>((res, rej) => {
        finish = res;
        fail = rej;
      });
      for (const e of buffered.splice(0)) handle(e);
      return done;
    },
    /** Gives up waiting (the engine did not confirm a cancel in time): report as interrupted. */
    abandon() {
      finish?.({ state: 'interrupted', newItems, failedItems });
    },
    stop: off,
  };
}

export async function runBench(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseCommand('bench', argv, {
    model: { type: 'string' },
    views: { type: 'string' },
    layers: { type: 'string' },
    limit: { type: 'string' },
    shard: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    provider: { type: 'string' },
    dtype: { type: 'string' },
    ...PREPROCESS_OPTIONS,
    runs: { type: 'string' },
    new: { type: 'boolean' },
    ...ANALYSES_OPTIONS,
  });
  if (p.positionals.length > 1) throw usageError(`loupe bench takes at most one BENCH argument; got ${p.positionals.length}.`);
  const views = parseViews(str(p, 'views'));
  const layers = parseLayers(str(p, 'layers'));
  const limit = parseIntOption(str(p, 'limit'), 'limit', 1);
  const shard = parseShard(str(p, 'shard'));
  const maxNewTokens = parseIntOption(str(p, 'max-new-tokens'), 'max-new-tokens', 1) ?? 16;
  const provider = parseProvider(str(p, 'provider'));
  const dtype = parseDtype(str(p, 'dtype'));
  const preprocess = parsePreprocess(p);
  const runsDir = str(p, 'runs');
  const json = flag(p, 'json');
  const analyses = parseAnalyses(p);
  const activation = parseActivation(p);

  const session = await ctx.openEngine({
    ...(runsDir ? { runsDir: resolve(ctx.io.cwd, runsDir) } : {}),
    ...(preprocess.maxPixels !== undefined ? { maxPixels: preprocess.maxPixels } : {}),
  });
  const bar = new ProgressBar(ctx.io);
  const { client } = session;
  const watcher = watchRun(client, bar);
  let runId: string | null = null;
  try {
    const model = await pickModel(client, ctx.io, str(p, 'model'));
    const bench = await pickBench(client, ctx.io, p.positionals[0]);
    const spec: BatchSpec = {
      modelId: model.id,
      benchId: bench.id,
      views,
      layers,
      maxNewTokens,
      // Named here as the engine would settle it, so a matching run is found by the same spec.
      preprocess: settleChoice(preprocess, model.manifest),
      ...(shard ? { shard } : {}),
      ...(limit ? { limit } : {}),
      ...forModel(analyses, model.numLayers),
      ...(activation ? { activation } : {}),
    };
    await client.call('models.load', { modelId: model.id, provider, ...(dtype ? { dtype } : {}) }, { signal: ctx.signal });

    // a matching run is one of the same spec made with the same model files: a checkpoint retrained
    // in place keeps its folder (the spec's modelId) but not its hash, and must not be answered with
    // the old checkpoint's results
    const matching = flag(p, 'new') ? [] : (await client.call('batch.list', {})).filter((r) => sameSpec(r.spec, spec));
    const existing = matching.find((r) => r.modelHash === model.hash);
    const stale = existing ? undefined : matching[0];
    if (stale)
      ctx.io.err(
        `The model files in ${model.id} changed since run ${stale.runId} (hash ${stale.modelHash}, now ${model.hash}); starting a new run.\n`,
      );
    let outcome: Outcome;
    if (existing && existing.state === 'finished' && existing.done >= existing.total) {
      runId = existing.runId;
      ctx.io.err(`Run ${runId} already finished (${existing.done}/${existing.total}); nothing new to do. Pass --new for a fresh run.\n`);
      outcome = { state: 'finished', newItems: 0, failedItems: 0 };
    } else {
      // A run another process is writing is not resumed: the engine refuses it with the holder's PID.
      if (existing && existing.state !== 'running')
        ctx.io.err(`Resuming run ${existing.runId} (${existing.done}/${existing.total} done).\n`);
      else
        ctx.io.err(
          `Running ${model.name} on ${bench.name} (${views.join(' + ')}; ${spec.preprocess?.protocol ?? 'paper'} protocol${spec.preprocess?.maxPixels ? `, max ${spec.preprocess.maxPixels} px` : ''}).\n`,
        );
      runId = existing
        ? (await client.call('batch.resume', { runId: existing.runId })).runId
        : (await client.call('batch.start', spec)).runId;
      const done = watcher.attach(runId);
      const onInterrupt = (): void => {
        if (runId) void client.call('batch.cancel', { runId }).catch(() => {});
        setTimeout(() => watcher.abandon(), 10_000).unref();
      };
      ctx.signal.addEventListener('abort', onInterrupt, { once: true });
      try {
        outcome = await done;
      } finally {
        ctx.signal.removeEventListener('abort', onInterrupt);
        bar.finish();
      }
    }

    const summary = await client.call('batch.summary', { runId });
    if (json)
      printJson(ctx.io, {
        runId,
        state: outcome.state,
        resumed: Boolean(existing),
        newItems: outcome.newItems,
        failedItems: outcome.failedItems,
        error: outcome.error ?? null,
        summary,
      });
    else printSummary(ctx, runId, summary, outcome);
    if (outcome.state === 'cancelled' || outcome.state === 'interrupted') {
      ctx.io.err(`Interrupted: ${summary.done}/${summary.total} items are saved. Run the same command to resume.\n`);
      return EXIT.interrupted;
    }
    if (outcome.state === 'failed')
      throw new CliError(
        `The run failed: ${outcome.error ?? 'no reason given'}. Finished items are saved; fix the cause and run the same command to resume.`,
        EXIT.internal,
      );
    return summary.failed > 0 || outcome.failedItems > 0 ? EXIT.partial : EXIT.ok;
  } finally {
    watcher.stop();
    await session.dispose();
  }
}

function printSummary(ctx: CliContext, runId: string, s: RunSummary, o: Outcome): void {
  const lines = [
    `run       ${runId}  (${s.modelName} on ${s.benchName})`,
    `items     ${s.done}/${s.total} done, ${s.failed} failed, ${o.newItems} new this time`,
  ];
  for (const view of s.spec.views) {
    const a = s.accuracy[view];
    if (a)
      lines.push(
        `${view.padEnd(9)} accuracy ${pct(a.accuracy)} over all ${a.items} items (${a.correct} correct, ${a.wrong} wrong, ${a.unjudged} unjudged, ${a.failed} failed); ${a.judged > 0 ? pct(a.accuracyJudged) : '-'} over ${a.judged} judged`,
      );
  }
  if (s.spec.views.length === 2) lines.push(`gap       ${fmt(s.zoomingGap, 1)} points (regional - global)`);
  const c = s.coverageCorrectVsWrong;
  if (c && c.correct.n + c.wrong.n > 0) {
    lines.push(
      `coverage  layer ${c.layer}: correct ${fmt(c.correct.mean)} (n=${c.correct.n}) vs wrong ${fmt(c.wrong.mean)} (n=${c.wrong.n})`,
    );
  } else if (c) lines.push(`coverage  layer ${c.layer}: no judged items to split by correctness`);
  lines.push(...summaryAnalysesLines(s));
  if (s.noBoxItems > 0) {
    lines.push(`no box    ${s.noBoxItems} item(s) have no key box: answered and judged, coverage "no box" (not measured)`);
  }
  if (s.failed > 0) {
    lines.push(`failed    ${s.failed} record(s); the first:`);
    const shown = s.failures.slice(0, 5);
    for (const f of shown) lines.push(`          ${f.view}: ${f.error}`);
    if (s.failed > shown.length) lines.push(`          ... every error is in \`loupe export ${runId} --format csv\` (column error)`);
  }
  ctx.io.out(`${lines.join('\n')}\n`);
}
