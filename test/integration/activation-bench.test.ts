// `loupe bench --activation` end to end on a copy of the R2I student given the hidden states
// (`loupe tap --hidden-states`): the run records each item's activation maps and summarises them, the
// same command resumes it, the option is part of the settings (a run without it is another run), each
// record's first-token figures are the engine's own for that item, the CSV carries them, and a package
// without the hidden states is refused before any item runs.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivationSummary } from '../../electron/contract/analyses.js';
import type { Box } from '../../electron/contract/types.js';
import { analyzeWithAnalyses } from '../../electron/engine/analysis/with-analyses.js';
import { decodeImage } from '../../electron/engine/image/decode.js';
import { loadRuntime } from '../../electron/engine/model/runtime.js';
import { runTap } from '../../electron/tap/index.js';
import { runLoupe } from '../support/loupe-cli.js';
import { ROOT } from './fixtures.js';

const BENCH = join(ROOT, 'resources/bench/loupe-mini');
const work = mkdtempSync(join(tmpdir(), 'loupe-activation-bench-'));
const model = join(work, 'loupe-tiny-r2i');
const env = { LOUPE_RUNS_DIR: join(work, 'runs') };

const loupe = (args: string[]) => runLoupe(args, work, env);

interface BenchOut {
  runId: string;
  resumed: boolean;
  newItems: number;
  summary: { activation?: ActivationSummary; spec: { activation?: object; preprocess?: { protocol?: string } } };
}

beforeAll(async () => {
  cpSync(join(ROOT, 'resources/models/loupe-tiny-r2i'), model, { recursive: true });
  expect(await runTap([model, '--hidden-states'], { stdout: () => {}, stderr: () => {} })).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('loupe bench --activation', () => {
  it('records, summarises and resumes activation maps; is its own run; refuses a package without them', async () => {
    const args = ['bench', BENCH, '--model', model, '--limit', '2', '--views', 'global', '--activation', '--json'];
    const first = await loupe(args);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as BenchOut;
    expect(a.summary.spec.activation).toEqual({});
    const s = a.summary.activation!;
    expect(s.items).toBe(2);
    expect(s.layer).toBe(3);
    expect(s.contextCorrection).toBe(true);
    expect(s.coverage.activation.n + s.coverage.attention.n).toBe(4);

    const again = JSON.parse((await loupe(args)).stdout) as BenchOut;
    expect(again.runId).toBe(a.runId);
    expect(again.resumed).toBe(true);
    expect(again.newItems).toBe(0);
    const plain = JSON.parse((await loupe(args.filter((x) => x !== '--activation'))).stdout) as BenchOut;
    expect(plain.runId).not.toBe(a.runId);
    expect(plain.summary.activation).toBeUndefined();

    // The records' first-token figures are what the engine gives for the item under the run's protocol.
    const records = JSON.parse(
      readFileSync(join(work, 'runs', a.runId, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')[0],
    ) as {
      itemId: string;
      activation: { first: { spearman: number | null; metrics: { coveragePaper: number } } };
    };
    const items = JSON.parse(readFileSync(join(BENCH, 'test.json'), 'utf8')) as {
      id: string;
      images: string[];
      query: string;
      bbox: Box;
    }[];
    const item = items.find((i) => i.id === records.itemId)!;
    const protocol = a.summary.spec.preprocess?.protocol === 'hf' ? 'hf' : 'paper';
    const rt = await loadRuntime(model, 'cpu');
    try {
      const image = await decodeImage({ path: join(BENCH, item.images[0]) }, { protocol });
      const r = await analyzeWithAnalyses(rt, image, {
        question: item.query,
        box: item.bbox,
        maxNewTokens: 16,
        activation: {},
        preprocess: { protocol },
      });
      const t = r.activation!.tokens[0];
      expect(records.activation.first.metrics.coveragePaper).toBeCloseTo(t.metrics!.coveragePaper, 5);
      if (t.spearman === null) expect(records.activation.first.spearman).toBeNull();
      else expect(records.activation.first.spearman).toBeCloseTo(t.spearman, 10);
    } finally {
      await rt.dispose();
    }

    const csv = await loupe(['export', a.runId, '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n')[0]).toContain('activation_first_spearman');

    const refused = await loupe([
      'bench',
      BENCH,
      '--model',
      join(ROOT, 'resources/models/loupe-tiny-base'),
      '--limit',
      '1',
      '--activation',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/no decoder_hidden_states output.*loupe tap .* --hidden-states/s);
  }, 300_000);
});
