import { describe, expect, it } from 'vitest';
import { checkParams } from './params.js';

describe('the engine host checks the parameters the contract table names', () => {
  it('requires paths and ids as non-empty strings, naming the field', () => {
    expect(() => checkParams('models.open', { dir: '' })).toThrow(expect.objectContaining({ code: 'bad-request', field: 'dir' }));
    expect(() => checkParams('models.open', {})).toThrow(expect.objectContaining({ code: 'bad-request', field: 'dir' }));
    expect(() => checkParams('compare.runs', { runA: 'a', runB: 7 })).toThrow(expect.objectContaining({ field: 'runB' }));
    expect(() => checkParams('batch.start', { modelId: 'm', benchId: null })).toThrow(expect.objectContaining({ field: 'benchId' }));
    expect(() => checkParams('models.open', { dir: '/m' })).not.toThrow();
  });

  it('lets an optional parameter be absent but not malformed', () => {
    expect(() => checkParams('batch.export', { runId: 'r', format: 'csv' })).not.toThrow();
    expect(() => checkParams('batch.export', { runId: 'r', format: 'csv', dest: 3 })).toThrow(expect.objectContaining({ field: 'dest' }));
    const image = { kind: 'path', path: '/a.png' };
    expect(() => checkParams('analysis.dual', { modelId: 'm', image, question: 'q' })).not.toThrow();
    expect(() => checkParams('analysis.dual', { modelId: 'm', image, cropImage: { kind: 'path' }, question: 'q' })).toThrow(
      expect.objectContaining({ field: 'cropImage.path' }),
    );
  });

  it('checks each image source kind and its fields', () => {
    const ok = [
      { kind: 'path', path: '/a.png' },
      { kind: 'bytes', name: 'a.png', bytes: new Uint8Array([1]) },
      { kind: 'benchItem', benchId: 'b', itemId: '1', view: 'regional' },
    ];
    for (const source of ok) expect(() => checkParams('images.get', { source })).not.toThrow();
    const bad: [unknown, string][] = [
      [undefined, 'source'],
      ['/a.png', 'source'],
      [{ kind: 'url', url: 'http://x' }, 'source.kind'],
      [{ kind: 'bytes', bytes: [1, 2] }, 'source.bytes'],
      [{ kind: 'benchItem', benchId: 'b', itemId: '', view: 'global' }, 'source.itemId'],
      [{ kind: 'benchItem', benchId: 'b', itemId: '1', view: 'zoomed' }, 'source.view'],
    ];
    for (const [source, field] of bad) {
      expect(() => checkParams('images.get', { source }), field).toThrow(expect.objectContaining({ code: 'bad-request', field }));
    }
  });

  it('refuses params that are not an object and names that are no method', () => {
    expect(() => checkParams('engine.info', null)).toThrow(expect.objectContaining({ field: 'params' }));
    expect(() => checkParams('engine.info', [])).toThrow(expect.objectContaining({ field: 'params' }));
    expect(() => checkParams('files.read' as never, {})).toThrow(expect.objectContaining({ code: 'not-found', field: 'method' }));
  });
});
