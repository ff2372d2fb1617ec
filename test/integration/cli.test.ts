// The `loupe` bin end to end, as a researcher runs it: a real process (bin/loupe.js through tsx), the
// real engine in a worker thread, a real model package (bundled student, else the random-weight dev
// package) and the bundled mini bench. Skips, saying why, when no model package exists.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, findModelDir } from './fixtures.js';
import { LOUPE_BIN, runLoupe } from '../support/loupe-cli.js';
import { runPython } from '../support/python-venv.js';

const BENCH = join(ROOT, 'resources/bench/loupe-mini');
const modelDir = findModelDir();

const loupe = runLoupe;

interface MiniItem {
  id: string;
  images: string[];
  query: string;
  response: string;
  bbox: [number, number, number, number];
}

describe(`loupe CLI on ${modelDir}`, () => {
  let work: string;
  let env: Record<string, string>;
  const items = JSON.parse(readFileSync(join(BENCH, 'test.json'), 'utf8')) as MiniItem[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'loupe-cli-it-'));
    env = { LOUPE_RUNS_DIR: join(work, 'runs') };
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('inspect --json answers a mini-bench item with coverage fields and an overlay', async () => {
    const item = items[0];
    const r = await loupe(
      ['inspect', join(BENCH, item.images[0]), item.query, '--box', item.bbox.join(','), '--model', modelDir, '--json'],
      work,
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      answer: string;
      tokens: { prob: number }[];
      layer: number;
      coverage: { paper: number; area: number };
      metrics: { ratio: number; pointing: boolean };
      coverageByLayer: Record<string, { coveragePaper: number }>;
      overlay: string;
    };
    expect(typeof report.answer).toBe('string');
    expect(report.answer.length).toBeGreaterThan(0);
    expect(report.tokens.length).toBeGreaterThan(0);
    for (const v of [report.coverage.paper, report.coverage.area]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(report.coverageByLayer[String(report.layer)].coveragePaper).toBeCloseTo(report.coverage.paper, 12);
    expect(typeof report.metrics.pointing).toBe('boolean');
    expect(report.overlay).toMatch(/\.loupe\.png$/);
    for (const t of report.tokens) {
      expect(t.prob).toBeGreaterThan(0);
      expect(t.prob).toBeLessThanOrEqual(1);
    }
  }, 180_000);

  it('bench --limit 4 runs, and the same command again resumes with nothing new to do', async () => {
    const args = ['bench', BENCH, '--model', modelDir, '--limit', '4', '--json'];
    const first = await loupe(args, work, env);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as {
      runId: string;
      state: string;
      newItems: number;
      resumed: boolean;
      summary: { done: number; total: number };
    };
    expect(a.state).toBe('finished');
    expect(a.resumed).toBe(false);
    expect(a.newItems).toBeGreaterThan(0);
    expect(a.summary.done).toBe(a.summary.total);

    const second = await loupe(args, work, env);
    expect(second.code, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout) as typeof a;
    expect(b.runId).toBe(a.runId);
    expect(b.resumed).toBe(true);
    expect(b.newItems).toBe(0);
    expect(b.summary.done).toBe(a.summary.done);
    expect(second.stderr).toMatch(/nothing new to do/);
  }, 300_000);

  it('bench starts a new run, not a stale resume, when the model files changed in place', async () => {
    const copy = join(work, 'retrained-model');
    cpSync(modelDir, copy, { recursive: true });
    const args = ['bench', BENCH, '--model', copy, '--limit', '1', '--views', 'global', '--json'];
    const first = await loupe(args, work, env);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { runId: string; newItems: number };
    expect(a.newItems).toBe(1);
    // "retrain" the checkpoint in the same folder: any change to a hashed file gives a new model hash
    appendFileSync(join(copy, 'config.json'), '\n');
    const second = await loupe(args, work, env);
    expect(second.code, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout) as typeof a & { resumed: boolean };
    expect(b.runId).not.toBe(a.runId);
    expect(b.resumed).toBe(false);
    expect(b.newItems).toBe(1);
    expect(second.stderr).toMatch(/model files in .* changed since run/);
  }, 300_000);

  it('runs two shards, merges them, exports CSV and compares the merged run with the unsharded one', async () => {
    const base = ['bench', BENCH, '--model', modelDir, '--limit', '2', '--json'];
    const s0 = await loupe([...base, '--shard', '0/2'], work, env);
    const s1 = await loupe([...base, '--shard', '1/2'], work, env);
    expect(s0.code, s0.stderr).toBe(0);
    expect(s1.code, s1.stderr).toBe(0);
    const ids = [s0, s1].map((r) => (JSON.parse(r.stdout) as { runId: string }).runId);
    const merged = await loupe(['merge', ...ids, '--out', 'merged-run', '--json'], work, env);
    expect(merged.code, merged.stderr).toBe(0);
    const m = JSON.parse(merged.stdout) as { runId: string; records: number; duplicates: number };
    expect(m.runId).toBe('merged-run');
    expect(m.duplicates).toBe(0);
    expect(m.records).toBeGreaterThan(0);

    const csv = await loupe(['export', 'merged-run', '--format', 'csv'], work, env);
    expect(csv.code, csv.stderr).toBe(0);
    // header + one row per record (quoted cells may hold newlines: questions list their options)
    expect(csv.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(m.records + 1);
    expect(csv.stdout.split('\n')[0]).toMatch(/item/i);
    // The run as NumPy arrays: into a folder, named after model, bench and date; numpy reads it.
    const npz = await loupe(['export', 'merged-run', '--format', 'npz', '--out', '.', '--json'], work, env);
    expect(npz.code, npz.stderr).toBe(0);
    const path = (JSON.parse(npz.stdout) as { path: string }).path;
    expect(path).toMatch(/_loupe-mini_\d{4}-\d{2}-\d{2}_merged-run\.npz$/);
    const read = runPython('import json, sys, numpy as np\nz = np.load(sys.argv[1])\nprint(len(z["item_id"]))', [path]);
    expect(Number(read.trim())).toBe(m.records);
    const noOut = await loupe(['export', 'merged-run', '--format', 'npz'], work, env);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--format npz writes a binary file: give --out/);

    const list = await loupe(['bench', BENCH, '--model', modelDir, '--limit', '4', '--json'], work, env);
    const full = (JSON.parse(list.stdout) as { runId: string }).runId;
    const cmp = await loupe(['compare', full, 'merged-run', '--json'], work, env);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect((JSON.parse(cmp.stdout) as { pairedItems: number }).pairedItems).toBeGreaterThan(0);

    const again = await loupe(['merge', ...ids, '--out', 'merged-run'], work, env);
    expect(again.code).toBe(2); // refuses to overwrite
    const missing = await loupe(['export', 'no-such-run'], work, env);
    expect(missing.code).toBe(3);
  }, 400_000);
});

describe('npm start without Electron', () => {
  it('explains why, starts the web mode and prints a token URL that works', async () => {
    const work = mkdtempSync(join(tmpdir(), 'loupe-start-it-'));
    const child = spawn(process.execPath, [LOUPE_BIN, 'start'], { cwd: work, env: { ...process.env, LOUPE_RUNS_DIR: join(work, 'runs') } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL after 120 s: ${stdout}`)), 120_000);
        child.stdout.on('data', () => {
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
      });
      expect(stdout).toMatch(/Electron is not available: /);
      const fetchPage = (u: string): Promise<{ status: number; body: string }> =>
        new Promise((res, rej) =>
          get(u, (r) => {
            let body = '';
            r.on('data', (d: Buffer) => (body += d.toString()));
            r.on('end', () => res({ status: r.statusCode ?? 0, body }));
          }).on('error', rej),
        );
      // start builds the renderer when it is missing or stale, so the page is always the app itself.
      const page = await fetchPage(url);
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/<script type="module"[^>]*src="\.\/assets\/index-[\w-]+\.js"/);
      expect(page.body).not.toMatch(/not built/);
      expect((await fetchPage(url.replace(/\?token=.*/, ''))).status).toBe(401);
    } finally {
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGINT');
      await exited;
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});
