import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, EngineHandler, MethodName, ParamsOf, ResultOf } from '../contract/api.js';
import { METHOD_NAMES, paramRules } from '../contract/methods.js';
import { benchInfoDouble, modelInfoDouble } from '../transport/testing/engine-double.js';
import { GuardedEngine } from './path-guard.js';
import { PathRegistry } from './path-registry.js';

/** Answers every method with a canned value and records what reached it past the guard. */
class RecordingEngine implements EngineHandler {
  readonly reached: MethodName[] = [];
  constructor(
    private readonly modelDir: string,
    private readonly benchPath: string,
  ) {}
  onEvent(_listener: (event: EngineEvent) => void): () => void {
    return () => undefined;
  }
  async handle<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    this.reached.push(method);
    const p = params as Record<string, unknown>;
    const results: Partial<Record<MethodName, unknown>> = {
      'models.list': [modelInfoDouble(this.modelDir)],
      'models.open': modelInfoDouble(String(p.dir)),
      'bench.list': [benchInfoDouble(this.benchPath)],
      'bench.open': benchInfoDouble(String(p.path)),
    };
    return (results[method] ?? {}) as ResultOf<M>;
  }
}

describe('GuardedEngine: the contract table decides what is checked', () => {
  let root: string;
  let opened: { dir: string; file: string; bench: string; model: string };
  let outside: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'loupe-guard-'));
    opened = {
      dir: join(root, 'opened'),
      file: join(root, 'opened', 'a.png'),
      bench: join(root, 'bench.json'),
      model: join(root, 'model'),
    };
    mkdirSync(opened.dir);
    mkdirSync(opened.model);
    writeFileSync(opened.file, 'x');
    writeFileSync(opened.bench, '[]');
    outside = join(root, 'secret.png');
    writeFileSync(outside, 'x');
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function guard(): { engine: RecordingEngine; guarded: GuardedEngine } {
    const registry = new PathRegistry();
    registry.allowDir(opened.dir);
    registry.allowFile(opened.bench);
    const engine = new RecordingEngine(opened.model, opened.bench);
    return { engine, guarded: new GuardedEngine(engine, registry) };
  }

  /** Parameters that pass every check: opened paths, ids the engine handed out. */
  function goodParams(method: MethodName): Record<string, unknown> {
    const p: Record<string, unknown> = { question: 'q', format: 'csv', provider: 'cpu', views: ['global'], layers: [], maxNewTokens: 4 };
    for (const [name, rule] of paramRules(method) ?? []) {
      p[name] = {
        path: opened.file,
        image: { kind: 'path', path: opened.file },
        modelId: opened.model,
        benchId: opened.bench,
        runId: 'run-1',
      }[rule.kind];
    }
    return p;
  }

  it('lets every method through with opened paths and known ids', async () => {
    for (const method of METHOD_NAMES) {
      const { engine, guarded } = guard();
      await guarded.handle(method, goodParams(method) as never, new AbortController().signal);
      expect(engine.reached, method).toContain(method);
    }
  });

  it('refuses, for every method, each path, image and id parameter that was not opened or handed out', async () => {
    const bad = {
      path: outside,
      image: { kind: 'path', path: outside },
      modelId: join(root, 'unknown-model'),
      benchId: join(root, 'unknown-bench.json'),
    };
    let refused = 0;
    for (const method of METHOD_NAMES) {
      for (const [name, rule] of paramRules(method) ?? []) {
        if (rule.kind === 'runId') continue;
        const { engine, guarded } = guard();
        const params = { ...goodParams(method), [name]: bad[rule.kind] };
        await expect(guarded.handle(method, params as never, new AbortController().signal), `${method} ${name}`).rejects.toMatchObject({
          code: 'forbidden',
        });
        expect(engine.reached, `${method} ${name}`).not.toContain(method);
        refused += 1;
      }
    }
    // models.open dir, models.load and unload, analysis.run (2), analysis.dual (3), images.get, images.check,
    // bench.open, bench.items, batch.start (2), batch.matching (2), batch.export dest.
    expect(refused).toBe(17);
  });

  it('checks the parameters named by hand: export destination, crop image, bench item images', async () => {
    const { guarded } = guard();
    const signal = new AbortController().signal;
    await expect(guarded.handle('batch.export', { runId: 'r', format: 'csv', dest: join(root, 'out.csv') }, signal)).rejects.toMatchObject({
      code: 'forbidden',
      field: 'dest',
    });
    await expect(guarded.handle('batch.export', { runId: 'r', format: 'csv', dest: join(opened.dir, 'out.csv') }, signal)).resolves.toEqual(
      {},
    );
    await expect(guarded.handle('batch.export', { runId: 'r', format: 'csv' }, signal)).resolves.toEqual({});
    await expect(
      guarded.handle(
        'analysis.dual',
        { modelId: opened.model, image: { kind: 'path', path: opened.file }, cropImage: { kind: 'path', path: outside }, question: 'q' },
        signal,
      ),
    ).rejects.toMatchObject({ code: 'forbidden', field: 'cropImage.path' });
    await expect(
      guarded.handle(
        'images.get',
        { source: { kind: 'benchItem', benchId: join(root, 'other.json'), itemId: '1', view: 'global' } },
        signal,
      ),
    ).rejects.toMatchObject({ code: 'forbidden', field: 'benchId' });
  });

  it('refuses a method the contract does not have, and a missing required parameter', async () => {
    const { engine, guarded } = guard();
    const signal = new AbortController().signal;
    await expect(guarded.handle('files.read' as MethodName, { path: outside } as never, signal)).rejects.toMatchObject({
      code: 'bad-request',
    });
    await expect(guarded.handle('models.open', {} as never, signal)).rejects.toMatchObject({ code: 'forbidden', field: 'dir' });
    expect(engine.reached).toEqual([]);
  });

  it('admits ids the engine handed out through models.open and bench.open', async () => {
    const { guarded } = guard();
    const signal = new AbortController().signal;
    const dir = join(opened.dir, 'm2');
    await guarded.handle('models.open', { dir }, signal);
    await expect(guarded.handle('models.unload', { modelId: dir }, signal)).resolves.toEqual({});
  });
});
