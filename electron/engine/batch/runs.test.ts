import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchSpec } from '../../contract/types.js';
import { BadRequestError } from '../errors.js';
import { runBatch } from './runner.js';
import { annotateRun, listRuns, matchingRuns } from './runs.js';
import { MODEL_DOUBLE, analyzerDouble, loadedBenchDouble } from './testing/batch-doubles.js';

let runsDir: string;
beforeEach(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'loupe-runs-'));
});
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

const SPEC: BatchSpec = { modelId: MODEL_DOUBLE.id, benchId: '/bench/fake', views: ['global', 'regional'], layers: [], maxNewTokens: 8 };
const deps = () => ({ model: MODEL_DOUBLE, bench: loadedBenchDouble(3), analyzeDual: analyzerDouble() });
const run = (spec: BatchSpec, runId: string) => runBatch(spec, deps(), new AbortController().signal, () => {}, { runsDir, runId });

describe('matchingRuns', () => {
  it('finds runs of the same model files, bench and settings, whatever the order of views and layers', async () => {
    await run({ ...SPEC, layers: [3, 1] }, 'a');
    await run({ ...SPEC, maxNewTokens: 4 }, 'b');
    await run({ ...SPEC, limit: 2 }, 'c');
    const same = matchingRuns(runsDir, { ...SPEC, views: ['regional', 'global'], layers: [1, 3] }, MODEL_DOUBLE.hash, '/bench/fake');
    expect(same.map((r) => r.runId)).toEqual(['a']);
    expect(same[0]).toMatchObject({ state: 'finished', done: 6, total: 6, failed: 0 });
    expect(matchingRuns(runsDir, { ...SPEC, limit: 2 }, MODEL_DOUBLE.hash, '/bench/fake').map((r) => r.runId)).toEqual(['c']);
    // Other model files (a checkpoint retrained in place) or another bench never match.
    expect(matchingRuns(runsDir, { ...SPEC, layers: [1, 3] }, 'otherhash', '/bench/fake')).toEqual([]);
    expect(matchingRuns(runsDir, { ...SPEC, layers: [1, 3] }, MODEL_DOUBLE.hash, '/bench/other')).toEqual([]);
  });
});

describe('annotateRun', () => {
  it('keeps a name and notes beside the run, shown in the run list, and clears them with ""', async () => {
    await run(SPEC, 'r');
    expect(annotateRun(runsDir, 'r', { name: ' baseline, seed 0 ' })).toMatchObject({ name: 'baseline, seed 0' });
    annotateRun(runsDir, 'r', { notes: 'before the grounding fix' });
    expect(listRuns(runsDir)[0]).toMatchObject({ runId: 'r', name: 'baseline, seed 0', notes: 'before the grounding fix' });
    annotateRun(runsDir, 'r', { name: '' });
    expect(listRuns(runsDir)[0].name).toBeUndefined();
    expect(listRuns(runsDir)[0].notes).toBe('before the grounding fix');
    expect(() => annotateRun(runsDir, 'r', { name: 'x'.repeat(201) })).toThrow(BadRequestError);
    expect(() => annotateRun(runsDir, 'nope', { name: 'x' })).toThrow(/No run nope/);
  });
});
