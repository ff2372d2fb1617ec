import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverModels } from './discover.js';
import { isHfCheckpoint, validateHfCheckpoint } from './hf-checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'loupe-hf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CONFIG = {
  model_type: 'qwen2_5_vl',
  architectures: ['Qwen2_5_VLForConditionalGeneration'],
  torch_dtype: 'bfloat16',
  image_token_id: 151655,
  vision_start_token_id: 151652,
  vision_end_token_id: 151653,
  hidden_size: 2048,
  num_hidden_layers: 36,
  num_attention_heads: 16,
  num_key_value_heads: 2,
  vocab_size: 151936,
  vision_config: { depth: 32, hidden_size: 1280, patch_size: 14, spatial_merge_size: 2 },
};

function tokenizer(ids: number[]): object {
  return { added_tokens: ids.map((id) => ({ id, content: `<t${id}>` })), model: { vocab: { a: 0 } } };
}

function checkpoint(name: string, edit: (files: Record<string, unknown>) => void = () => undefined): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, unknown> = {
    'config.json': CONFIG,
    'preprocessor_config.json': { patch_size: 14, merge_size: 2 },
    'tokenizer.json': tokenizer([151652, 151653, 151655]),
    'tokenizer_config.json': { chat_template: '{{ messages }}' },
    'model.safetensors.index.json': { weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } },
    'model-00001-of-00002.safetensors': 'x',
    'model-00002-of-00002.safetensors': 'y',
  };
  edit(files);
  for (const [f, v] of Object.entries(files))
    if (v !== undefined) writeFileSync(join(dir, f), typeof v === 'string' ? v : JSON.stringify(v));
  return dir;
}

describe('Hugging Face checkpoint validation', () => {
  it('accepts a complete checkpoint and reads its shape', async () => {
    const { info, spec } = await validateHfCheckpoint(checkpoint('ok'));
    expect(info.issues).toEqual([]);
    expect(info).toMatchObject({ engine: 'pytorch', family: 'qwen2_5_vl', numLayers: 36, numHeads: 16, numKvHeads: 2 });
    expect(spec).toMatchObject({ dtype: 'bfloat16', headDim: 128, weightBytes: 2, patchSize: 14, mergeSize: 2 });
  });

  it('names a missing shard', async () => {
    const dir = checkpoint('shard', (f) => {
      delete f['model-00002-of-00002.safetensors'];
    });
    const { info } = await validateHfCheckpoint(dir);
    expect(info.issues).toEqual([
      expect.objectContaining({ file: 'model-00002-of-00002.safetensors', message: expect.stringMatching(/missing.*weight_map/) }),
    ]);
  });

  it('names an unknown architecture with its architectures list', async () => {
    const dir = checkpoint('arch', (f) => {
      f['config.json'] = { ...CONFIG, model_type: 'mllama', architectures: ['MllamaForConditionalGeneration'] };
    });
    const { info } = await validateHfCheckpoint(dir);
    expect(info.issues[0]).toMatchObject({ file: 'config.json', field: 'model_type' });
    expect(info.issues[0].message).toMatch(/mllama.*MllamaForConditionalGeneration.*qwen2_vl/);
  });

  it('names a dtype PyTorch cannot hold', async () => {
    const dir = checkpoint('dtype', (f) => {
      f['config.json'] = { ...CONFIG, torch_dtype: 'int4' };
    });
    const { info } = await validateHfCheckpoint(dir);
    expect(info.issues).toEqual([
      expect.objectContaining({ file: 'config.json', field: 'torch_dtype', message: expect.stringMatching(/int4/) }),
    ]);
  });

  it('names a tokenizer without the vision tokens', async () => {
    const dir = checkpoint('tok', (f) => {
      f['tokenizer.json'] = tokenizer([151643]);
    });
    const { info } = await validateHfCheckpoint(dir);
    expect(info.issues.map((i) => [i.file, i.field])).toEqual([
      ['tokenizer.json', 'vision_start_token_id'],
      ['tokenizer.json', 'vision_end_token_id'],
      ['tokenizer.json', 'image_token_id'],
    ]);
  });

  it('names missing processor files and chat template', async () => {
    const dir = checkpoint('proc', (f) => {
      delete f['preprocessor_config.json'];
      f['tokenizer_config.json'] = {};
    });
    const { info } = await validateHfCheckpoint(dir);
    expect(info.issues.map((i) => i.file)).toEqual(['preprocessor_config.json', 'tokenizer_config.json']);
  });

  it('discovery lists checkpoints with the pytorch engine and keeps their issues', async () => {
    expect(await isHfCheckpoint(join(root, 'ok'))).toBe(true);
    const infos = await discoverModels([{ dir: root, bundled: false }]);
    const byName = Object.fromEntries(infos.map((i) => [i.name, i]));
    expect(byName['ok']).toMatchObject({ engine: 'pytorch', issues: [] });
    expect(byName['shard']?.issues.length).toBe(1);
  });
});
