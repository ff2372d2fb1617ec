// The engine host's shape checks on the parameters the contract's table names (electron/contract/methods.ts):
// paths and ids are non-empty strings, images are one of the three ImageSource kinds with their fields.
// Whether a path may be read at all is the path guard's job (electron/server/path-guard.ts), before this.
import type { MethodName } from '../../contract/api.js';
import { paramRules, type ParamKind } from '../../contract/methods.js';
import { BadRequestError, NotFoundError } from '../errors.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') throw new BadRequestError(`${field} must be a non-empty string.`, { field });
}

function imageSource(value: unknown, field: string): void {
  if (!isRecord(value)) throw new BadRequestError(`${field} must be an image source object.`, { field });
  switch (value.kind) {
    case 'path':
      return nonEmptyString(value.path, `${field}.path`);
    case 'bytes':
      if (!(value.bytes instanceof Uint8Array))
        throw new BadRequestError(`${field}.bytes must be a Uint8Array.`, { field: `${field}.bytes` });
      return;
    case 'benchItem':
      nonEmptyString(value.benchId, `${field}.benchId`);
      nonEmptyString(value.itemId, `${field}.itemId`);
      if (value.view !== 'global' && value.view !== 'regional')
        throw new BadRequestError(`${field}.view must be global or regional.`, { field: `${field}.view` });
      return;
    default:
      throw new BadRequestError(`${field}.kind must be path, bytes or benchItem.`, { field: `${field}.kind` });
  }
}

function checkParam(kind: ParamKind, value: unknown, field: string): void {
  switch (kind) {
    case 'path':
    case 'modelId':
    case 'benchId':
    case 'runId':
      return nonEmptyString(value, field);
    case 'image':
      return imageSource(value, field);
    default: {
      const unhandled: never = kind;
      throw new BadRequestError(`No check for parameter kind ${String(unhandled)}.`, { field });
    }
  }
}

/** Throws a BadRequestError naming the first malformed parameter, a NotFoundError for a name that is no method. */
export function checkParams(method: MethodName, params: unknown): void {
  const rules = paramRules(method);
  if (!rules) throw new NotFoundError(`Unknown method ${String(method)}.`, { field: 'method' });
  if (!isRecord(params)) throw new BadRequestError(`${method}: params must be an object.`, { field: 'params' });
  for (const [name, rule] of rules) {
    const value = params[name];
    if (value === undefined && rule.optional) continue;
    checkParam(rule.kind, value, name);
  }
}
