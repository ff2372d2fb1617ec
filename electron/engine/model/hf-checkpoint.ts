// A Hugging Face checkpoint folder (config.json, safetensors weights, processor and tokenizer files) for
// the PyTorch engine: told apart from an ONNX package and validated without loading anything, every problem
// named by file and field (a missing shard, an unknown architecture, a dtype PyTorch cannot hold, a
// tokenizer without the vision tokens), so a half-copied download shows what is missing.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ModelFamily, ModelInfo, ValidationIssue } from '../../contract/types.js';
import { defaultLayerFor } from './default-layer.js';
import { hashPackage } from './hash.js';
import { preprocessorMaxPixels } from './memory-estimate.js';
import { isObject, readJsonFile, type DecoderShape, type Json } from './package.js';

/** transformers model_type values the worker knows (native-models/loupe_worker/families.py). */
export const TORCH_FAMILIES: ModelFamily[] = ['qwen2_vl', 'qwen2_5_vl', 'qwen3_vl', 'qwen3_vl_moe', 'gemma3'];
const DTYPES = ['float32', 'bfloat16', 'float16'];
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

export interface HfSpec extends DecoderShape {
  /** Stored weight dtype (config `dtype` / `torch_dtype`); float32 when absent. */
  dtype: string;
  /** Weight files and their sizes in bytes (what the memory estimate counts). */
  weightFiles: string[];
  weightBytes: number;
  /** Qwen: patch and merge size (the grid); Gemma 3: the fixed tokens per image. */
  patchSize: number;
  mergeSize: number;
  tokensPerImage?: number;
  /** preprocessor_config.json max_pixels (the `hf` protocol's budget), when stated. */
  maxPixels?: number;
  visionHidden: number;
  visionDepth: number;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** True when the folder holds safetensors weights (or their index) and no ONNX package layout. */
export async function isHfCheckpoint(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return false;
  }
  if (names.includes('onnx') || names.includes('loupe.json')) return false;
  return names.some((n) => n.endsWith('.safetensors') || n === SAFETENSORS_INDEX);
}

async function weightFiles(dir: string, issues: ValidationIssue[]): Promise<{ files: string[]; bytes: number }> {
  const index = await readJsonFile(dir, SAFETENSORS_INDEX, []);
  let files: string[];
  if (index) {
    const map = index['weight_map'];
    if (!isObject(map)) {
      issues.push({ file: SAFETENSORS_INDEX, field: 'weight_map', message: 'weight_map (tensor name -> shard file) is missing.' });
      return { files: [], bytes: 0 };
    }
    files = [...new Set(Object.values(map).filter((v): v is string => typeof v === 'string'))].sort();
  } else files = ['model.safetensors'];
  let bytes = 0;
  for (const f of files) {
    const size = await fileSize(join(dir, f));
    if (size === null) {
      const which = index
        ? `a shard listed in ${SAFETENSORS_INDEX} weight_map`
        : 'the weights (or a model.safetensors.index.json naming the shards)';
      issues.push({ file: f, message: `${f} is missing: it is ${which}. Copy or download it again.` });
    } else bytes += size;
  }
  return { files, bytes };
}

function num(obj: Json, key: string, prefix: string, issues: ValidationIssue[], fallback?: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    issues.push({
      file: 'config.json',
      field: prefix + key,
      message: `${prefix + key} must be a positive integer; found ${JSON.stringify(obj[key])}.`,
    });
    return -1;
  }
  return v;
}

/** The ids of tokens the tokenizer defines as added tokens (where the vision tokens live). */
async function addedTokenIds(dir: string, issues: ValidationIssue[]): Promise<Set<number> | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    issues.push({
      file: 'tokenizer.json',
      message: missing ? 'tokenizer.json is missing.' : `tokenizer.json could not be read: ${(err as Error).message}`,
    });
    return null;
  }
  const ids = new Set<number>();
  if (isObject(parsed) && Array.isArray(parsed['added_tokens']))
    for (const t of parsed['added_tokens']) if (isObject(t) && typeof t['id'] === 'number') ids.add(t['id']);
  const model = isObject(parsed) ? parsed['model'] : null;
  if (isObject(model) && isObject(model['vocab'])) for (const v of Object.values(model['vocab'])) if (typeof v === 'number') ids.add(v);
  return ids;
}

function visionTokenFields(family: ModelFamily): string[] {
  return family === 'gemma3'
    ? ['boi_token_index', 'eoi_token_index', 'image_token_index']
    : ['vision_start_token_id', 'vision_end_token_id', 'image_token_id'];
}

async function hasChatTemplate(dir: string, tok: Json | null): Promise<boolean> {
  if (tok && (typeof tok['chat_template'] === 'string' || Array.isArray(tok['chat_template']))) return true;
  for (const f of ['chat_template.jinja', 'chat_template.json']) if ((await fileSize(join(dir, f))) !== null) return true;
  return false;
}

export function parseHfSpec(config: Json, issues: ValidationIssue[]): Omit<HfSpec, 'weightFiles' | 'weightBytes'> | null {
  const file = 'config.json';
  const before = issues.length;
  const modelType = config['model_type'];
  if (typeof modelType !== 'string' || !TORCH_FAMILIES.includes(modelType as ModelFamily)) {
    const arch = Array.isArray(config['architectures']) ? ` (architectures ${JSON.stringify(config['architectures'])})` : '';
    issues.push({
      file,
      field: 'model_type',
      message: `model_type ${JSON.stringify(modelType)}${arch} is not an architecture the PyTorch engine knows; it runs ${TORCH_FAMILIES.join(', ')}.`,
    });
    return null;
  }
  const family = modelType as ModelFamily;
  const text = isObject(config['text_config']) ? config['text_config'] : config;
  const tp = text === config ? '' : 'text_config.';
  const vision = isObject(config['vision_config']) ? config['vision_config'] : null;
  if (!vision)
    issues.push({ file, field: 'vision_config', message: 'vision_config is missing: this is not a vision-language checkpoint.' });
  const v = vision ?? {};
  const numLayers = num(text, 'num_hidden_layers', tp, issues);
  const numHeads = num(text, 'num_attention_heads', tp, issues);
  const numKvHeads = num(
    text,
    'num_key_value_heads',
    tp,
    issues,
    typeof text['num_attention_heads'] === 'number' ? text['num_attention_heads'] : undefined,
  );
  const hiddenSize = num(text, 'hidden_size', tp, issues);
  const vocabSize = num(text, 'vocab_size', tp, issues, family === 'gemma3' ? 262208 : undefined);
  const headDim = typeof text['head_dim'] === 'number' ? text['head_dim'] : numHeads > 0 ? Math.floor(hiddenSize / numHeads) : -1;
  const dtypeRaw = config['dtype'] ?? config['torch_dtype'] ?? text['dtype'] ?? text['torch_dtype'] ?? 'float32';
  if (typeof dtypeRaw !== 'string' || !DTYPES.includes(dtypeRaw))
    issues.push({
      file,
      field: config['dtype'] !== undefined ? 'dtype' : 'torch_dtype',
      message: `weights stored as ${JSON.stringify(dtypeRaw)}: the PyTorch engine loads ${DTYPES.join(', ')} (quantised checkpoints are not supported).`,
    });
  for (const key of visionTokenFields(family)) {
    const value = config[key] ?? (key === 'image_token_index' ? config['image_token_id'] : undefined);
    if (typeof value !== 'number')
      issues.push({ file, field: key, message: `${key} is missing: the engine finds the visual tokens through it.` });
  }
  const visionHidden = typeof v['hidden_size'] === 'number' ? v['hidden_size'] : typeof v['embed_dim'] === 'number' ? v['embed_dim'] : 0;
  const visionDepth = typeof v['depth'] === 'number' ? v['depth'] : typeof v['num_hidden_layers'] === 'number' ? v['num_hidden_layers'] : 0;
  if (issues.length > before) return null;
  const spec: Omit<HfSpec, 'weightFiles' | 'weightBytes'> = {
    family,
    numLayers,
    numHeads,
    numKvHeads,
    hiddenSize,
    headDim,
    vocabSize,
    dtype: dtypeRaw as string,
    patchSize: typeof v['patch_size'] === 'number' ? v['patch_size'] : 14,
    mergeSize: typeof v['spatial_merge_size'] === 'number' ? v['spatial_merge_size'] : 1,
    visionHidden,
    visionDepth,
  };
  if (family === 'gemma3') spec.tokensPerImage = typeof config['mm_tokens_per_image'] === 'number' ? config['mm_tokens_per_image'] : 256;
  return spec;
}

export interface ValidatedCheckpoint {
  info: ModelInfo;
  spec: HfSpec | null;
}

export async function validateHfCheckpoint(dirIn: string, options: { bundled?: boolean } = {}): Promise<ValidatedCheckpoint> {
  const dir = resolve(dirIn);
  const issues: ValidationIssue[] = [];
  const config = await readJsonFile(dir, 'config.json', issues);
  const parsed = config ? parseHfSpec(config, issues) : null;
  const weights = await weightFiles(dir, issues);
  if ((await fileSize(join(dir, 'preprocessor_config.json'))) === null && (await fileSize(join(dir, 'processor_config.json'))) === null)
    issues.push({
      file: 'preprocessor_config.json',
      message: 'preprocessor_config.json is missing: the image processor (resize, normalisation, patches) is defined there.',
    });
  const tok = await readJsonFile(dir, 'tokenizer_config.json', issues);
  const ids = await addedTokenIds(dir, issues);
  if (config && parsed && ids) {
    for (const key of visionTokenFields(parsed.family)) {
      const id = config[key] ?? (key === 'image_token_index' ? config['image_token_id'] : undefined);
      if (typeof id === 'number' && !ids.has(id))
        issues.push({
          file: 'tokenizer.json',
          field: key,
          message: `the tokenizer has no token with id ${id} (config.json ${key}): it lacks the vision tokens; use the checkpoint's own tokenizer.json.`,
        });
    }
  }
  if (!(await hasChatTemplate(dir, tok)))
    issues.push({
      file: 'tokenizer_config.json',
      field: 'chat_template',
      message: 'No chat template: add chat_template to tokenizer_config.json, or chat_template.jinja / chat_template.json.',
    });
  const maxPixels = await preprocessorMaxPixels(dir);
  const spec: HfSpec | null = parsed
    ? { ...parsed, weightFiles: weights.files, weightBytes: weights.bytes, ...(maxPixels ? { maxPixels } : {}) }
    : null;
  const hashed = ['config.json', 'preprocessor_config.json', 'tokenizer.json', SAFETENSORS_INDEX, ...weights.files];
  const info: ModelInfo = {
    id: dir,
    name: basename(dir),
    dir,
    family: spec?.family ?? 'qwen2_5_vl',
    numLayers: spec?.numLayers ?? 0,
    numHeads: spec?.numHeads ?? 0,
    numKvHeads: spec?.numKvHeads ?? 0,
    defaultLayer: defaultLayerFor(spec?.numLayers ?? 0, null),
    hash: await hashPackage(dir, hashed),
    bundled: options.bundled ?? false,
    engine: 'pytorch',
    issues,
  };
  return { info, spec };
}
