// Test helper: writes a model package whose ONNX files carry only graph inputs/outputs (no nodes), enough
// for validation, which never runs a session. Options break it in the ways researchers' exports break.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';

export interface PackageDoubleOptions {
  layers?: number;
  /** Rename or drop graph I/O names: (session, kind, name) -> new name or null to drop. */
  rename?: (session: string, kind: 'input' | 'output', name: string) => string | null;
  config?: (c: Record<string, unknown>) => void;
  externalData?: string;
}

function valueInfo(name: string, elemType: number): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'batch_size' }] } } } };
}

function writeOnnx(
  path: string,
  session: string,
  inputs: [string, number][],
  outputs: [string, number][],
  opts: PackageDoubleOptions,
): void {
  const keep = (kind: 'input' | 'output') => (list: [string, number][]) =>
    list.flatMap(([n, t]) => {
      const r = opts.rename ? opts.rename(session, kind, n) : n;
      return r === null ? [] : [valueInfo(r, t)];
    });
  const initializer: onnx.ITensorProto[] =
    opts.externalData && session === 'decoder_model_merged'
      ? [
          {
            name: 'w',
            dims: [4],
            dataType: 1,
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: [
              { key: 'location', value: opts.externalData },
              { key: 'offset', value: '0' },
            ],
          },
        ]
      : [];
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'loupe-test',
    graph: {
      name: session,
      node: [{ opType: 'Identity', input: ['a'], output: ['b'] }],
      initializer,
      input: keep('input')(inputs),
      output: keep('output')(outputs),
    },
  }).finish();
  writeFileSync(path, model);
}

export function writePackageDouble(opts: PackageDoubleOptions = {}): string {
  const layers = opts.layers ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'loupe-pkg-'));
  mkdirSync(join(dir, 'onnx'));
  const config: Record<string, unknown> = {
    model_type: 'qwen2_vl',
    hidden_size: 64,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 100,
    eos_token_id: 2,
    image_token_id: 90,
    video_token_id: 91,
    vision_start_token_id: 92,
    vision_end_token_id: 93,
    vision_config: { spatial_merge_size: 2, patch_size: 14 },
  };
  opts.config?.(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(
    join(dir, 'preprocessor_config.json'),
    JSON.stringify({
      image_processor_type: 'Qwen2VLImageProcessor',
      patch_size: 14,
      merge_size: 2,
      temporal_patch_size: 2,
      min_pixels: 3136,
      max_pixels: 200704,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    }),
  );
  writeFileSync(join(dir, 'tokenizer.json'), '{}');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{{ messages }}' }));
  const past: [string, number][] = [];
  const present: [string, number][] = [];
  const taps: [string, number][] = [];
  for (let i = 0; i < layers; i++) {
    past.push([`past_key_values.${i}.key`, 1], [`past_key_values.${i}.value`, 1]);
    present.push([`present.${i}.key`, 1], [`present.${i}.value`, 1]);
    taps.push([`decoder_attentions.${i}`, 1]);
  }
  writeOnnx(
    join(dir, 'onnx/vision_encoder.onnx'),
    'vision_encoder',
    [
      ['pixel_values', 1],
      ['grid_thw', 7],
    ],
    [['image_features', 1]],
    opts,
  );
  writeOnnx(join(dir, 'onnx/embed_tokens.onnx'), 'embed_tokens', [['input_ids', 7]], [['inputs_embeds', 1]], opts);
  writeOnnx(
    join(dir, 'onnx/decoder_model_merged.onnx'),
    'decoder_model_merged',
    [['inputs_embeds', 1], ['attention_mask', 7], ['position_ids', 7], ...past],
    [['logits', 1], ...present, ...taps],
    opts,
  );
  return dir;
}
