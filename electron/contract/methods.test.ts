import { describe, expect, it } from 'vitest';
import type { MethodName } from './api.js';
import { isMethodName, issuedIds, METHOD_NAMES, paramRules, type MethodFacts } from './methods.js';

// Compile-time checks (npm run typecheck): each line below must be a type error, so the table cannot
// lose a method, mark an optional parameter as required, give an image a string kind or forget which
// methods hand out ids without failing to compile.
type Table = { readonly [M in MethodName]: MethodFacts<M> };
// @ts-expect-error a table without every method
const _missingMethod: Table = { 'engine.info': { params: {} } };
// @ts-expect-error batch.export's dest is optional in the contract, so its rule must say so
const _requiredDest: MethodFacts<'batch.export'> = { params: { dest: { kind: 'path' } } };
// @ts-expect-error an ImageSource parameter can only be an image
const _imageAsPath: MethodFacts<'images.get'> = { params: { source: { kind: 'path' } } };
// @ts-expect-error a string parameter cannot be an image
const _pathAsImage: MethodFacts<'models.open'> = { params: { dir: { kind: 'image' } }, issues: 'modelIds' };
// @ts-expect-error models.open returns a model: the table must say it hands out model ids
const _noIssuedIds: MethodFacts<'models.open'> = { params: { dir: { kind: 'path' } } };
// @ts-expect-error a parameter the method does not have
const _unknownParam: MethodFacts<'engine.info'> = { params: { dir: { kind: 'path' } } };

describe('the contract table', () => {
  it('lists each method once and knows no other name', () => {
    expect(new Set(METHOD_NAMES).size).toBe(METHOD_NAMES.length);
    expect(METHOD_NAMES).toContain('batch.export');
    expect(isMethodName('models.open')).toBe(true);
    expect(isMethodName('files.read')).toBe(false);
    expect(isMethodName('toString')).toBe(false);
    expect(paramRules('constructor')).toBeUndefined();
  });

  it('names the parameters that are paths, images and ids', () => {
    expect(paramRules('models.open')).toEqual([['dir', { kind: 'path' }]]);
    expect(paramRules('batch.export')).toEqual([
      ['runId', { kind: 'runId' }],
      ['dest', { kind: 'path', optional: true }],
    ]);
    expect(paramRules('analysis.dual')?.map(([name]) => name)).toEqual(['modelId', 'image', 'cropImage']);
    expect(paramRules('engine.info')).toEqual([]);
  });

  it('says which methods hand out ids', () => {
    expect(METHOD_NAMES.filter((m) => issuedIds(m) === 'modelIds')).toEqual(['models.list', 'models.open']);
    expect(METHOD_NAMES.filter((m) => issuedIds(m) === 'benchIds')).toEqual(['bench.list', 'bench.open']);
  });
});
