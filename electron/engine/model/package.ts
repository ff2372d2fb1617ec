// The model package layout (docs/architecture.md, "Model package"): which files a folder must hold, what the
// configs must say, and which ONNX input/output names each session must expose. One place, so validation,
// loading and the error messages agree.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFamily, ValidationIssue } from '../../contract/types.js';

export const SESSION_NAMES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type SessionName = (typeof SESSION_NAMES)[number];

export const CONFIG_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const MANIFEST_FILE = 'loupe.json';

export function sessionFile(name: SessionName): string {
  return `onnx/${name}.onnx`;
}

/** The decoder's shape as config.json gives it: shared by ONNX packages and Hugging Face checkpoints. */
export interface DecoderShape {
  family: ModelFamily;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  hiddenSize: number;
  headDim: number;
  vocabSize: number;
}

/** What the engine needs from config.json (+ generation_config.json), normalised over the three families. */
export interface ModelSpec extends DecoderShape {
  imageTokenId: number;
  visionStartTokenId: number;
  visionEndTokenId: number;
  eosTokenIds: number[];
  spatialMergeSize: number;
  patchSize: number;
  /** Qwen3-VL: decoder layers that receive deepstack visual features (empty otherwise). */
  deepstackLayers: number[];
  /** tie_word_embeddings: lm_head reuses the embedding table (unembedding rows = embedding rows). */
  tiedEmbeddings: boolean;
}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a JSON object; a missing or unreadable file becomes one issue naming it. */
export async function readJsonFile(dir: string, file: string, issues: ValidationIssue[]): Promise<Json | null> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    issues.push({ file, message: missing ? `${file} is missing.` : `${file} could not be read: ${(err as Error).message}` });
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed)) throw new Error('top level is not an object');
    return parsed;
  } catch (err) {
    issues.push({ file, message: `${file} is not valid JSON: ${(err as Error).message}` });
    return null;
  }
}

const FAMILIES: ModelFamily[] = ['qwen2_vl', 'qwen2_5_vl', 'qwen3_vl'];

/**
 * Normalises config.json. Every missing or wrong field is pushed as an issue naming the field;
 * returns null when the spec cannot be built.
 */
export function parseModelSpec(config: Json, generation: Json | null, issues: ValidationIssue[]): ModelSpec | null {
  const file = 'config.json';
  const before = issues.length;
  const modelType = config['model_type'];
  if (typeof modelType !== 'string' || !FAMILIES.includes(modelType as ModelFamily)) {
    issues.push({
      file,
      field: 'model_type',
      message: `model_type must be one of ${FAMILIES.join(', ')}; found ${JSON.stringify(modelType)}.`,
    });
    return null;
  }
  const family = modelType as ModelFamily;
  // Qwen3-VL keeps the language-model fields under text_config; Qwen2/2.5-VL at the top level.
  const text = family === 'qwen3_vl' && isObject(config['text_config']) ? config['text_config'] : config;
  const textPrefix = text === config ? '' : 'text_config.';
  const vision = isObject(config['vision_config']) ? config['vision_config'] : null;
  if (!vision) issues.push({ file, field: 'vision_config', message: 'vision_config is missing.' });

  const int = (obj: Json, key: string, prefix: string, fallback?: number): number => {
    const v = obj[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      issues.push({
        file,
        field: prefix + key,
        message: `${prefix + key} must be a non-negative integer; found ${JSON.stringify(obj[key])}.`,
      });
      return -1;
    }
    return v;
  };
  const numLayers = int(text, 'num_hidden_layers', textPrefix);
  const numHeads = int(text, 'num_attention_heads', textPrefix);
  const numKvHeads = int(
    text,
    'num_key_value_heads',
    textPrefix,
    typeof text['num_attention_heads'] === 'number' ? text['num_attention_heads'] : undefined,
  );
  const hiddenSize = int(text, 'hidden_size', textPrefix);
  const vocabSize = int(text, 'vocab_size', textPrefix);
  const headDim = typeof text['head_dim'] === 'number' ? text['head_dim'] : numHeads > 0 ? Math.floor(hiddenSize / numHeads) : -1;
  // Token ids sit at the top level in all three families (Qwen3-VL may repeat them in text_config).
  const tokenId = (key: string): number => (config[key] !== undefined ? int(config, key, '') : int(text, key, textPrefix));
  const imageTokenId = tokenId('image_token_id');
  const visionStartTokenId = tokenId('vision_start_token_id');
  const visionEndTokenId = tokenId('vision_end_token_id');
  const spatialMergeSize = vision ? int(vision, 'spatial_merge_size', 'vision_config.', 2) : -1;
  const patchSize = vision ? int(vision, 'patch_size', 'vision_config.', family === 'qwen3_vl' ? 16 : 14) : -1;

  const eosRaw = generation?.['eos_token_id'] ?? text['eos_token_id'] ?? config['eos_token_id'];
  const eosTokenIds = (Array.isArray(eosRaw) ? eosRaw : [eosRaw]).filter((x): x is number => typeof x === 'number');
  if (eosTokenIds.length === 0)
    issues.push({
      file,
      field: 'eos_token_id',
      message: 'No eos_token_id in config.json or generation_config.json: greedy decoding would never stop early.',
    });

  const deepstackRaw = vision?.['deepstack_visual_indexes'];
  const deepstackLayers =
    family === 'qwen3_vl' && Array.isArray(deepstackRaw) ? deepstackRaw.filter((x): x is number => typeof x === 'number') : [];

  if (issues.length > before) return null;
  return {
    family,
    numLayers,
    numHeads,
    numKvHeads,
    hiddenSize,
    headDim,
    vocabSize,
    imageTokenId,
    visionStartTokenId,
    visionEndTokenId,
    eosTokenIds,
    spatialMergeSize,
    patchSize,
    deepstackLayers,
    // Qwen2-VL's config class defaults to untied (the 7B is untied, the 2B says true): only an explicit true ties.
    tiedEmbeddings: (text['tie_word_embeddings'] ?? config['tie_word_embeddings']) === true,
  };
}

export interface ExpectedIo {
  inputs: string[];
  outputs: string[];
}

/** The names each session must expose for the engine to drive it (optional extras are allowed). */
export function expectedIo(spec: ModelSpec): Record<SessionName, ExpectedIo> {
  const past: string[] = [];
  const present: string[] = [];
  for (let i = 0; i < spec.numLayers; i++) {
    past.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
    present.push(`present.${i}.key`, `present.${i}.value`);
  }
  // Qwen3-VL's deepstack features leave the vision encoder and enter the decoder as a dense input
  // (docs/model-packages.md); without them the decoder would silently see a different model.
  const deep = spec.deepstackLayers.length > 0;
  return {
    // qwen2_vl exports name the grid input `grid_thw`, qwen2_5_vl/qwen3_vl `image_grid_thw` (transformers.js's image_grid_thw_name).
    vision_encoder: {
      inputs: ['pixel_values', spec.family === 'qwen2_vl' ? 'grid_thw' : 'image_grid_thw'],
      outputs: ['image_features', ...(deep ? ['deepstack_features'] : [])],
    },
    embed_tokens: { inputs: ['input_ids'], outputs: ['inputs_embeds'] },
    decoder_model_merged: {
      inputs: ['inputs_embeds', 'attention_mask', 'position_ids', ...past, ...(deep ? ['deepstack_embeds'] : [])],
      outputs: ['logits', ...present],
    },
  };
}

export function tapName(layer: number): string {
  return `decoder_attentions.${layer}`;
}

export function tapNames(spec: ModelSpec): string[] {
  return Array.from({ length: spec.numLayers }, (_, i) => tapName(i));
}

/** The decoder output `loupe tap --hidden-states` adds: final normalised hidden states, [batch, seq, hidden]. */
export const HIDDEN_STATES_OUTPUT = 'decoder_hidden_states';

/**
 * The unembedding graph `loupe tap --hidden-states` and the Python exporter write beside the decoder
 * (onnx/lm_head.onnx): input `input_ids` int64 [n], output `unembedding` float32 [n, hidden], the lm_head
 * rows of those ids gathered from the weight (never a logits matrix). Needed for untied lm_heads.
 */
export const UNEMBEDDING_FILE = 'lm_head.onnx';
export const UNEMBEDDING_INPUT = 'input_ids';
export const UNEMBEDDING_OUTPUT = 'unembedding';
