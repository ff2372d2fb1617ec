// Per-method facts of the contract, in one typed table: which parameters name a file or folder, an image,
// or something the engine handed out, and which methods hand out model and benchmark ids. Three places
// read it: the wire protocol (the method list untrusted peers are checked against), the path guard of the
// web mode and the desktop shell (every path must have been opened by the user), and the engine host (the
// shape of each such parameter). A method added to EngineMethods without an entry here fails to compile.
// Browser-safe: the renderer bundles the contract.
import type { MethodName, ParamsOf, ResultOf } from './api.js';
import type { BenchInfo, ImageSource, ModelInfo } from './types.js';

/**
 * What a parameter refers to, and so how it is checked:
 * - `path`: a file or folder on disk. The path guard admits only paths the user opened (PathRegistry);
 *   the engine requires a non-empty string.
 * - `image`: an ImageSource. Its `path` is guarded as a `path`, its `benchId` as a `benchId`; `bytes`
 *   carry the image itself. The engine checks the kind and the fields of each kind.
 * - `modelId`, `benchId`: an id the engine handed out (see `issues`); the path guard admits only those,
 *   because an id is the model folder's or benchmark's absolute path. The engine requires a non-empty string.
 * - `runId`: the name of a run folder inside the engine's own runs folder; the run store admits only
 *   letters, digits, '.', '_' and '-', so it cannot name a path elsewhere. The engine requires a non-empty string.
 */
export type ParamKind = 'path' | 'image' | 'modelId' | 'benchId' | 'runId';

/** The kinds a parameter of this type can have: images for ImageSource, the others for strings. */
type KindFor<T> = [NonNullable<T>] extends [ImageSource]
  ? 'image'
  : [NonNullable<T>] extends [string]
    ? Exclude<ParamKind, 'image'>
    : never;

/** A rule for parameter K of P; `optional: true` exactly when the contract makes K optional. */
type RuleFor<P, K extends keyof P> =
  object extends Pick<P, K>
    ? { readonly kind: KindFor<P[K]>; readonly optional: true }
    : { readonly kind: KindFor<P[K]>; readonly optional?: never };

export type ParamRules<M extends MethodName> = { readonly [K in keyof ParamsOf<M>]?: RuleFor<ParamsOf<M>, K> };

/** Which ids a method's result hands out: required for methods that return models or benchmarks. */
type IssuedIds<M extends MethodName> =
  ResultOf<M> extends ModelInfo | ModelInfo[] ? 'modelIds' : ResultOf<M> extends BenchInfo | BenchInfo[] ? 'benchIds' : never;

export type MethodFacts<M extends MethodName> = { readonly params: ParamRules<M> } & ([IssuedIds<M>] extends [never]
  ? { readonly issues?: never }
  : { readonly issues: IssuedIds<M> });

export interface ParamRule {
  kind: ParamKind;
  optional?: true;
}

const FACTS = {
  'engine.info': { params: {} },
  'models.list': { params: {}, issues: 'modelIds' },
  'models.open': { params: { dir: { kind: 'path' } }, issues: 'modelIds' },
  'models.load': { params: { modelId: { kind: 'modelId' } } },
  'models.unload': { params: { modelId: { kind: 'modelId' } } },
  'analysis.run': { params: { modelId: { kind: 'modelId' }, image: { kind: 'image' } } },
  'analysis.dual': { params: { modelId: { kind: 'modelId' }, image: { kind: 'image' }, cropImage: { kind: 'image', optional: true } } },
  'images.get': { params: { source: { kind: 'image' } } },
  'images.check': { params: { source: { kind: 'image' } } },
  'bench.list': { params: {}, issues: 'benchIds' },
  'bench.open': { params: { path: { kind: 'path' } }, issues: 'benchIds' },
  'bench.items': { params: { benchId: { kind: 'benchId' } } },
  'batch.start': { params: { modelId: { kind: 'modelId' }, benchId: { kind: 'benchId' } } },
  'batch.resume': { params: { runId: { kind: 'runId' } } },
  'batch.cancel': { params: { runId: { kind: 'runId' } } },
  'batch.list': { params: {} },
  'batch.matching': { params: { modelId: { kind: 'modelId' }, benchId: { kind: 'benchId' } } },
  'batch.annotate': { params: { runId: { kind: 'runId' } } },
  'batch.summary': { params: { runId: { kind: 'runId' } } },
  'batch.records': { params: { runId: { kind: 'runId' } } },
  'batch.export': { params: { runId: { kind: 'runId' }, dest: { kind: 'path', optional: true } } },
  'compare.runs': { params: { runA: { kind: 'runId' }, runB: { kind: 'runId' } } },
} as const satisfies { readonly [M in MethodName]: MethodFacts<M> };

/** Every method of the contract, in the table's order: untrusted peers are checked against it. */
export const METHOD_NAMES: readonly MethodName[] = Object.keys(FACTS) as MethodName[];

const METHOD_SET: ReadonlySet<string> = new Set(METHOD_NAMES);

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && METHOD_SET.has(value);
}

/** The checked parameters of a method (name and rule), or undefined for a name that is not a method. */
export function paramRules(method: string): [string, ParamRule][] | undefined {
  if (!isMethodName(method)) return undefined;
  return Object.entries(FACTS[method].params) as [string, ParamRule][];
}

/** Which ids the method's result hands out, if any. */
export function issuedIds(method: MethodName): 'modelIds' | 'benchIds' | undefined {
  const facts = FACTS[method];
  return 'issues' in facts ? facts.issues : undefined;
}
