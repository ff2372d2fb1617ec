// Validation of a model folder before anything is loaded: every problem is reported as a ValidationIssue
// naming the file (and field), so a researcher with a half-finished export sees the whole list at once
// instead of the first onnxruntime error.
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ModelInfo, ValidationIssue } from '../../contract/types.js';
import { ONNX_ELEM_TYPE_NAMES, readOnnxIo, type OnnxIo } from './onnx-io.js';
import { defaultLayerFor } from './default-layer.js';
import { hashPackage } from './hash.js';
import { parityStatus } from './parity.js';
import {
  CONFIG_FILES,
  MANIFEST_FILE,
  SESSION_NAMES,
  expectedIo,
  isObject,
  parseModelSpec,
  readJsonFile,
  sessionFile,
  tapNames,
  type Json,
  type ModelSpec,
  type SessionName,
} from './package.js';

export interface ValidatedPackage {
  info: ModelInfo;
  /** Null when config.json could not be understood (info.issues says why). */
  spec: ModelSpec | null;
  /** Graph I/O of every session file that could be read. */
  io: Partial<Record<SessionName, OnnxIo>>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function checkPreprocessor(pre: Json, issues: ValidationIssue[]): void {
  const file = 'preprocessor_config.json';
  for (const key of ['patch_size', 'merge_size', 'temporal_patch_size']) {
    if (typeof pre[key] !== 'number') issues.push({ file, field: key, message: `${key} must be a number.` });
  }
  const size = isObject(pre['size']) ? pre['size'] : {};
  if (typeof (pre['min_pixels'] ?? size['shortest_edge']) !== 'number')
    issues.push({ file, field: 'min_pixels', message: 'min_pixels (or size.shortest_edge) must be a number.' });
  if (typeof (pre['max_pixels'] ?? size['longest_edge']) !== 'number')
    issues.push({ file, field: 'max_pixels', message: 'max_pixels (or size.longest_edge) must be a number.' });
  for (const key of ['image_mean', 'image_std']) {
    const v = pre[key];
    if (!Array.isArray(v) || v.length !== 3) issues.push({ file, field: key, message: `${key} must be a list of 3 numbers.` });
  }
}

async function checkChatTemplate(dir: string, tok: Json, issues: ValidationIssue[]): Promise<void> {
  if (typeof tok['chat_template'] === 'string' || Array.isArray(tok['chat_template'])) return;
  // Newer exports keep the template beside the tokenizer config instead.
  if ((await exists(join(dir, 'chat_template.jinja'))) || (await exists(join(dir, 'chat_template.json')))) return;
  issues.push({
    file: 'tokenizer_config.json',
    field: 'chat_template',
    message: 'No chat_template (nor chat_template.jinja): the prompt cannot be built.',
  });
}

function checkSession(name: SessionName, io: OnnxIo, spec: ModelSpec, issues: ValidationIssue[]): void {
  const file = sessionFile(name);
  const expected = expectedIo(spec)[name];
  const inputs = new Set(io.inputs.map((v) => v.name));
  const outputs = new Map(io.outputs.map((v) => [v.name, v]));
  const missingIn = expected.inputs.filter((n) => !inputs.has(n));
  const missingOut = expected.outputs.filter((n) => !outputs.has(n));
  // Name each missing entry (one issue each), but keep the list readable when a whole cache family is absent.
  const report = (kind: 'input' | 'output', missing: string[], have: string[]): void => {
    for (const n of missing.slice(0, 8)) {
      issues.push({
        file,
        field: n,
        message: `${file} has no ${kind} named ${n} (it has: ${have.slice(0, 6).join(', ')}${have.length > 6 ? ', ...' : ''}).`,
      });
    }
    if (missing.length > 8)
      issues.push({
        file,
        field: missing[8],
        message: `${file} lacks ${missing.length - 8} more expected ${kind}s (${missing.slice(8, 11).join(', ')}, ...).`,
      });
  };
  report('input', missingIn, [...inputs]);
  report('output', missingOut, [...outputs.keys()]);
  if (name !== 'decoder_model_merged') return;
  const taps = tapNames(spec);
  const missingTaps = taps.filter((t) => !outputs.has(t));
  if (missingTaps.length === taps.length) {
    issues.push({
      file,
      field: 'decoder_attentions.0',
      message: `${file} has no attention taps (outputs decoder_attentions.0..${spec.numLayers - 1}); add them with \`loupe tap\`.`,
    });
  } else {
    for (const t of missingTaps)
      issues.push({ file, field: t, message: `${file} has no attention tap output ${t}; every layer needs one.` });
  }
  for (const t of taps) {
    const v = outputs.get(t);
    if (v && v.elemType !== 0 && v.elemType !== 1 && v.elemType !== 10) {
      issues.push({
        file,
        field: t,
        message: `${t} is ${ONNX_ELEM_TYPE_NAMES[v.elemType] ?? `type ${v.elemType}`}; expected float32 or float16.`,
      });
    }
  }
}

/** Validates a folder. Never throws for problems inside the folder: they all become issues. */
export async function validateModelDir(dirIn: string, options: { bundled?: boolean } = {}): Promise<ValidatedPackage> {
  const dir = resolve(dirIn);
  const issues: ValidationIssue[] = [];
  const io: Partial<Record<SessionName, OnnxIo>> = {};
  const base = (): ModelInfo => ({
    id: dir,
    name: basename(dir),
    dir,
    family: 'qwen2_vl',
    numLayers: 0,
    numHeads: 0,
    numKvHeads: 0,
    defaultLayer: 1,
    hash: '',
    bundled: options.bundled ?? false,
    issues,
  });
  let st;
  try {
    st = await stat(dir);
  } catch {
    issues.push({ file: dir, message: `Folder not found: ${dir}` });
    return { info: base(), spec: null, io };
  }
  if (!st.isDirectory()) {
    issues.push({ file: dir, message: `${dir} is a file; choose the model folder (the one holding config.json).` });
    return { info: base(), spec: null, io };
  }

  const config = await readJsonFile(dir, 'config.json', issues);
  const pre = await readJsonFile(dir, 'preprocessor_config.json', issues);
  const tok = await readJsonFile(dir, 'tokenizer_config.json', issues);
  if (!(await exists(join(dir, 'tokenizer.json')))) issues.push({ file: 'tokenizer.json', message: 'tokenizer.json is missing.' });
  const generationIssues: ValidationIssue[] = [];
  const generation = (await exists(join(dir, 'generation_config.json')))
    ? await readJsonFile(dir, 'generation_config.json', generationIssues)
    : null;
  issues.push(...generationIssues);
  const manifestIssues: ValidationIssue[] = [];
  const manifest = (await exists(join(dir, MANIFEST_FILE))) ? await readJsonFile(dir, MANIFEST_FILE, manifestIssues) : null;
  issues.push(...manifestIssues);

  if (pre) checkPreprocessor(pre, issues);
  if (tok) await checkChatTemplate(dir, tok, issues);
  const spec = config ? parseModelSpec(config, generation, issues) : null;

  for (const name of SESSION_NAMES) {
    const file = sessionFile(name);
    const path = join(dir, file);
    if (!(await exists(path))) {
      issues.push({ file, message: `${file} is missing.` });
      continue;
    }
    try {
      io[name] = await readOnnxIo(path);
    } catch (err) {
      issues.push({ file, message: `${file} could not be read as ONNX: ${(err as Error).message}` });
      continue;
    }
    for (const loc of io[name]?.externalData ?? []) {
      if (!(await exists(join(dir, 'onnx', loc))))
        issues.push({ file: `onnx/${loc}`, message: `${file} stores weights in onnx/${loc}, which is missing.` });
    }
    const sessionIo = io[name];
    if (spec && sessionIo) checkSession(name, sessionIo, spec, issues);
  }

  const info = base();
  if (spec) {
    Object.assign(info, { family: spec.family, numLayers: spec.numLayers, numHeads: spec.numHeads, numKvHeads: spec.numKvHeads });
    info.defaultLayer = defaultLayerFor(spec.numLayers, manifest);
  }
  if (manifest) {
    info.manifest = manifest;
    if (typeof manifest['name'] === 'string' && manifest['name']) info.name = manifest['name'];
  }
  info.parity = parityStatus(manifest, info.name);
  const hashed = [...CONFIG_FILES, ...SESSION_NAMES.map(sessionFile)];
  info.hash = await hashPackage(dir, hashed);
  return { info, spec, io };
}
