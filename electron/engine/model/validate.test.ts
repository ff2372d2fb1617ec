import { rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidModelError } from '../errors.js';
import { assertUsable } from './runtime.js';
import { writePackageDouble } from './testing/package-double.js';
import { validateModelDir } from './validate.js';

describe('validateModelDir', () => {
  it('accepts a complete package and reads its shape', async () => {
    const dir = writePackageDouble({ layers: 3 });
    const v = await validateModelDir(dir);
    expect(v.info.issues).toEqual([]);
    expect(v.info).toMatchObject({ id: dir, family: 'qwen2_vl', numLayers: 3, numHeads: 4, numKvHeads: 2, defaultLayer: 2 });
    expect(v.info.hash).toMatch(/^[0-9a-f]{12}$/);
    expect(v.io.decoder_model_merged?.outputs.map((o) => o.name)).toContain('decoder_attentions.2');
  });

  it('reports a missing session file by name', async () => {
    const dir = writePackageDouble();
    unlinkSync(join(dir, 'onnx/decoder_model_merged.onnx'));
    const { info } = await validateModelDir(dir);
    expect(info.issues).toEqual([{ file: 'onnx/decoder_model_merged.onnx', message: 'onnx/decoder_model_merged.onnx is missing.' }]);
  });

  it('reports wrong input names with file and field', async () => {
    const dir = writePackageDouble({ rename: (s, k, n) => (s === 'vision_encoder' && n === 'pixel_values' ? 'pixels' : n) });
    const { info } = await validateModelDir(dir);
    expect(info.issues).toHaveLength(1);
    expect(info.issues[0]).toMatchObject({ file: 'onnx/vision_encoder.onnx', field: 'pixel_values' });
    expect(info.issues[0].message).toContain('pixels');
  });

  it('expects image_grid_thw for qwen2_5_vl exports', async () => {
    const dir = writePackageDouble({ config: (c) => (c['model_type'] = 'qwen2_5_vl') });
    const { info } = await validateModelDir(dir);
    expect(info.issues.map((i) => i.field)).toEqual(['image_grid_thw']);
  });

  it('requires the deepstack tensors of a qwen3_vl package (docs/model-packages.md)', async () => {
    const dir = writePackageDouble({
      config: (c) => {
        c['model_type'] = 'qwen3_vl';
        c['text_config'] = {
          num_hidden_layers: 2,
          num_attention_heads: 4,
          num_key_value_heads: 2,
          hidden_size: 64,
          vocab_size: 100,
          eos_token_id: 2,
        };
        c['vision_config'] = { spatial_merge_size: 2, patch_size: 16, deepstack_visual_indexes: [1, 2] };
      },
    });
    const { info, spec } = await validateModelDir(dir);
    expect(spec?.deepstackLayers).toEqual([1, 2]);
    expect(info.issues.map((i) => `${i.file}#${i.field}`)).toEqual([
      'onnx/vision_encoder.onnx#image_grid_thw',
      'onnx/vision_encoder.onnx#deepstack_features',
      'onnx/decoder_model_merged.onnx#deepstack_embeds',
    ]);
  });

  it('reports a decoder without any attention taps as one actionable issue', async () => {
    const dir = writePackageDouble({ rename: (_s, _k, n) => (n.startsWith('decoder_attentions') ? null : n) });
    const { info } = await validateModelDir(dir);
    expect(info.issues).toHaveLength(1);
    expect(info.issues[0]).toMatchObject({ file: 'onnx/decoder_model_merged.onnx', field: 'decoder_attentions.0' });
    expect(info.issues[0].message).toContain('loupe tap');
  });

  it('reports each missing tap layer', async () => {
    const dir = writePackageDouble({ layers: 4, rename: (_s, _k, n) => (n === 'decoder_attentions.2' ? null : n) });
    const { info } = await validateModelDir(dir);
    expect(info.issues).toEqual([
      { file: 'onnx/decoder_model_merged.onnx', field: 'decoder_attentions.2', message: expect.stringContaining('decoder_attentions.2') },
    ]);
  });

  it('reports missing KV cache outputs', async () => {
    const dir = writePackageDouble({ rename: (_s, k, n) => (k === 'output' && n === 'present.1.value' ? null : n) });
    const { info } = await validateModelDir(dir);
    expect(info.issues.map((i) => `${i.file}#${i.field}`)).toEqual(['onnx/decoder_model_merged.onnx#present.1.value']);
  });

  it('reports config fields it cannot use', async () => {
    const dir = writePackageDouble({
      config: (c) => {
        delete c['num_hidden_layers'];
        c['vision_start_token_id'] = 'x';
      },
    });
    const { info } = await validateModelDir(dir);
    expect(info.issues.map((i) => `${i.file}#${i.field}`)).toEqual(['config.json#num_hidden_layers', 'config.json#vision_start_token_id']);
  });

  it('rejects an unknown model_type', async () => {
    const dir = writePackageDouble({ config: (c) => (c['model_type'] = 'llava') });
    const { info } = await validateModelDir(dir);
    expect(info.issues[0]).toMatchObject({ file: 'config.json', field: 'model_type' });
  });

  it('reports unreadable JSON and a missing tokenizer', async () => {
    const dir = writePackageDouble();
    writeFileSync(join(dir, 'preprocessor_config.json'), '{ not json');
    rmSync(join(dir, 'tokenizer.json'));
    const { info } = await validateModelDir(dir);
    const files = info.issues.map((i) => i.file);
    expect(files).toContain('preprocessor_config.json');
    expect(files).toContain('tokenizer.json');
  });

  it('reports a missing chat template', async () => {
    const dir = writePackageDouble();
    writeFileSync(join(dir, 'tokenizer_config.json'), '{}');
    const { info } = await validateModelDir(dir);
    expect(info.issues).toEqual([{ file: 'tokenizer_config.json', field: 'chat_template', message: expect.any(String) }]);
  });

  it('reports a truncated ONNX file', async () => {
    const dir = writePackageDouble();
    truncateSync(join(dir, 'onnx/embed_tokens.onnx'), 40);
    const { info } = await validateModelDir(dir);
    expect(info.issues[0]).toMatchObject({ file: 'onnx/embed_tokens.onnx' });
    expect(info.issues[0].message).toContain('could not be read as ONNX');
  });

  it('reports external weight files that are missing', async () => {
    const dir = writePackageDouble({ externalData: 'decoder_model_merged.onnx_data' });
    const { info } = await validateModelDir(dir);
    expect(info.issues).toEqual([{ file: 'onnx/decoder_model_merged.onnx_data', message: expect.stringContaining('missing') }]);
    writeFileSync(join(dir, 'onnx/decoder_model_merged.onnx_data'), Buffer.alloc(16));
    expect((await validateModelDir(dir)).info.issues).toEqual([]);
  });

  it('reports a folder that does not exist, and assertUsable turns issues into an InvalidModelError', async () => {
    const { info } = await validateModelDir('/nonexistent/loupe-model');
    expect(info.issues[0].message).toContain('not found');
    expect(() => assertUsable(info)).toThrow(InvalidModelError);
  });

  it('changes the hash when a file changes', async () => {
    const dir = writePackageDouble();
    const a = (await validateModelDir(dir)).info.hash;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse('{}'), model_type: 'qwen2_vl' }));
    const b = (await validateModelDir(dir)).info.hash;
    expect(a).not.toBe(b);
  });
});
