// The committed tiny real-architecture packages reproduce their parity.json in onnxruntime-node:
// vision_encoder -> image features (and Qwen3-VL deepstack features) scattered at the image tokens ->
// decoder_model_merged, compared with what PyTorch (eager, output_attentions) computed. This is the
// reference wiring for the engine (docs/model-packages.md); the engine's own tests add the processor,
// chat template and rope index on top.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('test/fixtures/models');

interface Parity {
  family: string;
  input_ids: number[];
  image_grid_thw: number[][];
  pixel_values: { shape: number[]; base64: string };
  position_ids: number[][];
  visual_token_range: [number, number];
  expected: { last_logits: number[]; argmax: number; last_row_attention: number[][][] };
  coverage: { layer: number; head_mean_visual_attention: number[] };
  tolerance: { logits_abs: number; attention_abs: number };
}

interface Manifest {
  layers: number;
  heads: number;
  kv_heads: number;
  head_dim: number;
  hidden_size: number;
  deepstack?: { decoder_layers: number[] };
}

function load<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe.each(['tiny-qwen2_5_vl', 'tiny-qwen3_vl'])('%s package vs PyTorch', (name) => {
  it("reproduces parity.json logits and every layer's last-row attention", async () => {
    const dir = join(ROOT, name);
    const fx = load<Parity>(join(dir, 'parity.json'));
    const man = load<Manifest>(join(dir, 'loupe.json'));
    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    const vision = await ort.InferenceSession.create(join(dir, 'onnx/vision_encoder.onnx'), opts);
    const embed = await ort.InferenceSession.create(join(dir, 'onnx/embed_tokens.onnx'), opts);
    const decoder = await ort.InferenceSession.create(join(dir, 'onnx/decoder_model_merged.onnx'), opts);

    const bytes = Buffer.from(fx.pixel_values.base64, 'base64');
    const pixels = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const grid = BigInt64Array.from(fx.image_grid_thw.flat(), (x) => BigInt(x));
    const gridName = vision.inputNames[1] as string;
    const vout = await vision.run({
      pixel_values: new ort.Tensor('float32', pixels, fx.pixel_values.shape),
      [gridName]: new ort.Tensor('int64', grid, [fx.image_grid_thw.length, 3]),
    });

    const L = fx.input_ids.length;
    const H = man.hidden_size;
    const ids = BigInt64Array.from(fx.input_ids, (x) => BigInt(x));
    const emb = (await embed.run({ input_ids: new ort.Tensor('int64', ids, [1, L]) }))['inputs_embeds'] as ort.Tensor;
    const embeds = new Float32Array(emb.data as Float32Array);
    const feats = (vout['image_features'] as ort.Tensor).data as Float32Array;
    const [a, b] = fx.visual_token_range;
    expect(feats.length).toBe((b - a) * H);
    embeds.set(feats, a * H); // the image tokens are contiguous: rows a..b-1 get the features in order

    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: new ort.Tensor('float32', embeds, [1, L, H]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(fx.position_ids.flat(), (x) => BigInt(x)),
        [3, 1, L],
      ),
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([1n]), []),
    };
    for (let l = 0; l < man.layers; l++) {
      for (const k of ['key', 'value'])
        feeds[`past_key_values.${l}.${k}`] = new ort.Tensor('float32', new Float32Array(0), [1, man.kv_heads, 0, man.head_dim]);
    }
    if (man.deepstack) {
      // dense [k, 1, L, hidden]: level j at the image-token rows, zeros elsewhere
      const k = man.deepstack.decoder_layers.length;
      const ds = (vout['deepstack_features'] as ort.Tensor).data as Float32Array;
      const dense = new Float32Array(k * L * H);
      for (let j = 0; j < k; j++) dense.set(ds.subarray(j * (b - a) * H, (j + 1) * (b - a) * H), (j * L + a) * H);
      feeds['deepstack_embeds'] = new ort.Tensor('float32', dense, [k, 1, L, H]);
    }
    const out = await decoder.run(feeds);
    const logits = (out['logits'] as ort.Tensor).data as Float32Array;
    expect(maxAbs(logits, fx.expected.last_logits)).toBeLessThan(fx.tolerance.logits_abs);
    let best = 0;
    logits.forEach((v, i) => {
      if (v > (logits[best] as number)) best = i;
    });
    expect(best).toBe(fx.expected.argmax);
    for (let l = 0; l < man.layers; l++) {
      const tap = out[`decoder_attentions.${l}`] as ort.Tensor;
      expect(tap.dims).toEqual([1, man.heads, 1, L]);
      expect(maxAbs(tap.data as Float32Array, (fx.expected.last_row_attention[l] as number[][]).flat())).toBeLessThan(
        fx.tolerance.attention_abs,
      );
    }
    // head-mean attention over the visual tokens at the coverage layer
    const tap = (out[`decoder_attentions.${fx.coverage.layer}`] as ort.Tensor).data as Float32Array;
    const mean = Array.from({ length: b - a }, (_, c) => {
      let s = 0;
      for (let h = 0; h < man.heads; h++) s += tap[h * L + a + c] as number;
      return s / man.heads;
    });
    expect(maxAbs(mean, fx.coverage.head_mean_visual_attention)).toBeLessThan(1e-5);
  });
});
