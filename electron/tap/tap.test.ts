import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTap, TAP_USAGE, type TapIo } from './index.js';
import { onnx, readModel, writeModel, type ModelProto } from './onnx-model.js';
import { inspectDecoder } from './tap.js';

const FIXTURES = resolve('test/fixtures/models');
const PACKAGES = ['tiny-qwen2_5_vl', 'tiny-qwen3_vl'] as const;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loupe-tap-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function capture(): TapIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

async function sha(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Deterministic pseudo-random floats in [-1, 1). */
function randomFloats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Spec {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
}

async function specOf(pkg: string): Promise<Spec> {
  const m = JSON.parse(await readFile(join(pkg, 'loupe.json'), 'utf8')) as Record<string, number>;
  return { layers: m.layers, heads: m.heads, kvHeads: m.kv_heads, headDim: m.head_dim, hidden: m.hidden_size };
}

function feeds(session: ort.InferenceSession, spec: Spec, seq: number, past: Record<string, ort.Tensor> | null, seed: number) {
  const pastLen = past ? ((past['past_key_values.0.key'] as ort.Tensor).dims[2] as number) : 0;
  const total = pastLen + seq;
  const f: Record<string, ort.Tensor> = {
    inputs_embeds: new ort.Tensor('float32', randomFloats(seq * spec.hidden, seed), [1, seq, spec.hidden]),
    attention_mask: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: total }, () => 1n),
      [1, total],
    ),
    position_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: 3 * seq }, (_, i) => BigInt(pastLen + (i % seq))),
      [3, 1, seq],
    ),
  };
  for (let l = 0; l < spec.layers; l++) {
    for (const kind of ['key', 'value']) {
      f[`past_key_values.${l}.${kind}`] =
        past?.[`past_key_values.${l}.${kind}`] ?? new ort.Tensor('float32', new Float32Array(0), [1, spec.kvHeads, 0, spec.headDim]);
    }
  }
  if (session.inputNames.includes('num_logits_to_keep')) f['num_logits_to_keep'] = new ort.Tensor('int64', BigInt64Array.from([0n]), []);
  if (session.inputNames.includes('deepstack_embeds')) {
    const k = 3;
    f['deepstack_embeds'] = new ort.Tensor('float32', randomFloats(k * seq * spec.hidden, seed + 1), [k, 1, seq, spec.hidden]);
  }
  return f;
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  expect(a.dims).toEqual(b.dims);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)));
  return m;
}

describe('loupe tap on decoders exported without taps', () => {
  for (const name of PACKAGES) {
    it(`${name}: the tapped outputs equal the exporter's native taps in onnxruntime-node`, async () => {
      const pkg = join(FIXTURES, name);
      const notap = join(pkg, 'onnx/decoder_model_merged.notap.onnx');
      const before = await sha(notap);
      const out = join(tmp, `${name}-tapped`);
      const io = capture();
      const rc = await runTap([pkg, '--decoder', 'decoder_model_merged.notap.onnx', '--out', out], io);
      expect(io.err).toBe('');
      expect(rc).toBe(0);
      expect(io.out).toContain('Tapped');
      expect(await sha(notap)).toBe(before); // original untouched

      const spec = await specOf(pkg);
      const manifest = JSON.parse(await readFile(join(out, 'loupe.json'), 'utf8')) as { taps: string[]; tapped_by: { tool: string } };
      expect(manifest.taps).toEqual(Array.from({ length: spec.layers }, (_, i) => `decoder_attentions.${i}`));
      expect(manifest.tapped_by.tool).toBe('loupe tap');
      for (const f of ['config.json', 'tokenizer.json', 'preprocessor_config.json', 'onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx']) {
        expect((await stat(join(out, f))).isFile()).toBe(true);
      }

      const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
      const native = await ort.InferenceSession.create(join(pkg, 'onnx/decoder_model_merged.onnx'), opts);
      const tapped = await ort.InferenceSession.create(join(out, 'onnx/decoder_model_merged.onnx'), opts);
      expect(tapped.outputNames).toEqual(native.outputNames);

      // prefill (7 tokens, empty cache), then one cached step
      let past: Record<string, ort.Tensor> | null = null;
      for (const [seq, seed] of [
        [7, 11],
        [1, 23],
      ] as const) {
        const f = feeds(native, spec, seq, past, seed);
        const a = await native.run(f);
        const b = await tapped.run(f);
        expect(maxAbsDiff(a['logits'] as ort.Tensor, b['logits'] as ort.Tensor)).toBe(0);
        const total = (f['attention_mask'] as ort.Tensor).dims[1];
        for (let l = 0; l < spec.layers; l++) {
          const ta = a[`decoder_attentions.${l}`] as ort.Tensor;
          const tb = b[`decoder_attentions.${l}`] as ort.Tensor;
          expect(tb.type).toBe('float32');
          expect(tb.dims).toEqual([1, spec.heads, 1, total]);
          expect(maxAbsDiff(ta, tb)).toBe(0);
        }
        past = {};
        for (let l = 0; l < spec.layers; l++) {
          for (const kind of ['key', 'value']) past[`past_key_values.${l}.${kind}`] = b[`present.${l}.${kind}`] as ort.Tensor;
        }
      }
    });
  }

  it('without --out writes onnx/decoder_model_merged.tapped.onnx beside the original', async () => {
    const pkg = join(tmp, 'copy');
    await cp(join(FIXTURES, 'tiny-qwen2_5_vl'), pkg, { recursive: true });
    const io = capture();
    expect(await runTap([pkg, '--decoder', 'decoder_model_merged.notap.onnx'], io)).toBe(0);
    const tapped = await readModel(join(pkg, 'onnx/decoder_model_merged.tapped.onnx'));
    const ins = inspectDecoder(tapped);
    expect(ins.existingTaps).toHaveLength(4);
    // a second run refuses to overwrite without --force
    const io2 = capture();
    expect(await runTap([pkg, '--decoder', 'decoder_model_merged.notap.onnx'], io2)).toBe(2);
    expect(io2.err).toContain('--force');
    expect(await runTap([pkg, '--decoder', 'decoder_model_merged.notap.onnx', '--force'], capture())).toBe(0);
  });

  it('a lone .onnx file is tapped with --layers checked against the fused attention nodes found', async () => {
    const file = join(FIXTURES, 'tiny-qwen3_vl/onnx/decoder_model_merged.notap.onnx');
    const io = capture();
    expect(await runTap([file, '--layers', '5', '--out', join(tmp, 'x.onnx')], io)).toBe(4);
    expect(io.err).toContain('found 4 fused attention nodes');
    expect(await runTap([file, '--layers', '4', '--out', join(tmp, 'x.onnx')], capture())).toBe(0);
  });

  it('reports an already-tapped decoder and writes nothing', async () => {
    const io = capture();
    expect(await runTap([join(FIXTURES, 'tiny-qwen2_5_vl')], io)).toBe(0);
    expect(io.out).toContain('already has 4 attention taps');
  });
});

/** A minimal decoder-like model: one attention block, either fused or decomposed. */
async function writeToyModel(path: string, kind: 'GroupQueryAttention' | 'MultiHeadAttention' | 'Attention' | 'no-softmax'): Promise<void> {
  const vi = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: 1 }) }) });
  const nodes =
    kind === 'no-softmax'
      ? [onnx.NodeProto.create({ name: 'mm', opType: 'MatMul', input: ['q', 'k'], output: ['y'] })]
      : [
          onnx.NodeProto.create({
            name: `/model/layers.0/attn/${kind}`,
            opType: kind,
            domain: kind === 'Attention' ? '' : 'com.microsoft',
            input: ['q', 'k', 'v'],
            output: ['y'],
          }),
        ];
  const model: ModelProto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: 23 }),
      onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }),
    ],
    graph: onnx.GraphProto.create({ name: 'toy', node: nodes, input: [vi('q'), vi('k'), vi('v')], output: [vi('y')] }),
  });
  await writeModel(path, model);
}

describe('loupe tap refuses what it cannot tap, and says why', () => {
  it('fused Attention (no keys exposed) -> exit 4 with a re-export hint', async () => {
    const file = join(tmp, 'Attention.onnx');
    await writeToyModel(file, 'Attention');
    const io = capture();
    expect(await runTap([file], io)).toBe(4);
    expect(io.err).toContain('fused Attention');
    expect(io.err).toContain('export_checkpoint.py');
  });

  for (const op of ['GroupQueryAttention', 'MultiHeadAttention'] as const) {
    it(`fused ${op} without a present_key output -> exit 4 naming the node`, async () => {
      const file = join(tmp, `${op}.onnx`);
      await writeToyModel(file, op);
      const io = capture();
      expect(await runTap([file], io)).toBe(4);
      expect(io.err).toContain(`${op} node '/model/layers.0/attn/${op}' has no present_key output`);
      expect(io.err).toContain('export_checkpoint.py');
    });
  }

  it('no softmax at all -> exit 4', async () => {
    const file = join(tmp, 'plain.onnx');
    await writeToyModel(file, 'no-softmax');
    const io = capture();
    expect(await runTap([file], io)).toBe(4);
    expect(io.err).toContain('no decomposed attention');
  });

  it('missing folder -> 3, bad arguments -> 2, --help -> 0', async () => {
    expect(await runTap([join(tmp, 'nope')], capture())).toBe(3);
    const io = capture();
    expect(await runTap([], io)).toBe(2);
    expect(io.err).toContain('Usage: loupe tap');
    expect(await runTap(['a', '--bogus'], capture())).toBe(2);
    const help = capture();
    expect(await runTap(['--help'], help)).toBe(0);
    expect(help.out).toBe(TAP_USAGE + '\n');
  });

  it('--out must not be the package itself', async () => {
    const io = capture();
    expect(
      await runTap(
        [join(FIXTURES, 'tiny-qwen2_5_vl'), '--decoder', 'decoder_model_merged.notap.onnx', '--out', join(FIXTURES, 'tiny-qwen2_5_vl')],
        io,
      ),
    ).toBe(2);
  });
});

/**
 * A decomposed two-layer attention toy (MatMul -> Mul(scale) -> Softmax -> MatMul per layer), as older
 * exports and the students before the fused re-export write it: `loupe tap` slices each softmax's last row.
 */
async function writeDecomposedToy(path: string): Promise<void> {
  const vi = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: 1 }) }) });
  const scale = onnx.TensorProto.create({ name: 'scale', dims: [], dataType: 1, floatData: [0.5] });
  const nodes = [0, 1].flatMap((l) => {
    const q = l === 0 ? 'q' : 'y0';
    return [
      onnx.NodeProto.create({
        name: `/model/layers.${l}/attn/kT`,
        opType: 'Transpose',
        input: ['k'],
        output: [`kT${l}`],
        attribute: [onnx.AttributeProto.create({ name: 'perm', ints: [0, 1, 3, 2], type: onnx.AttributeProto.AttributeType.INTS })],
      }),
      onnx.NodeProto.create({ name: `/model/layers.${l}/attn/MatMul`, opType: 'MatMul', input: [q, `kT${l}`], output: [`s${l}`] }),
      onnx.NodeProto.create({ name: `/model/layers.${l}/attn/Mul`, opType: 'Mul', input: [`s${l}`, 'scale'], output: [`ss${l}`] }),
      onnx.NodeProto.create({
        name: `/model/layers.${l}/attn/Softmax`,
        opType: 'Softmax',
        input: [`ss${l}`],
        output: [`p${l}`],
        attribute: [onnx.AttributeProto.create({ name: 'axis', i: -1, type: onnx.AttributeProto.AttributeType.INT })],
      }),
      onnx.NodeProto.create({ name: `/model/layers.${l}/attn/MatMul_1`, opType: 'MatMul', input: [`p${l}`, 'v'], output: [`y${l}`] }),
    ];
  });
  const model: ModelProto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
    graph: onnx.GraphProto.create({
      name: 'toy',
      node: nodes,
      initializer: [scale],
      input: [vi('q'), vi('k'), vi('v')],
      output: [vi('y1')],
    }),
  });
  await writeModel(path, model);
}

describe('loupe tap on decomposed attention', () => {
  it('taps each layer softmax: the output equals the last row of softmax(q K^T * scale)', async () => {
    const file = join(tmp, 'decomposed.onnx');
    await writeDecomposedToy(file);
    const out = join(tmp, 'decomposed.tapped.onnx');
    const io = capture();
    expect(await runTap([file, '--layers', '2', '--out', out], io)).toBe(0);
    expect(io.out).toContain('Tapped 2 layers');
    const [h, s, d] = [2, 5, 4];
    const q = randomFloats(h * s * d, 3);
    const k = randomFloats(h * s * d, 5);
    const v = randomFloats(h * s * d, 7);
    const session = await ort.InferenceSession.create(out);
    const t = (x: Float32Array) => new ort.Tensor('float32', x, [1, h, s, d]);
    const res = await session.run({ q: t(q), k: t(k), v: t(v) });
    const tap0 = res['decoder_attentions.0'] as ort.Tensor;
    expect(tap0.dims).toEqual([1, h, 1, s]);
    expect(res['decoder_attentions.1']?.dims).toEqual([1, h, 1, s]);
    for (let head = 0; head < h; head++) {
      const qi = (head * s + s - 1) * d;
      const scores = Array.from({ length: s }, (_, j) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += (q[qi + c] as number) * (k[(head * s + j) * d + c] as number);
        return dot * 0.5;
      });
      const mx = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < s; j++) expect((tap0.data as Float32Array)[head * s + j]).toBeCloseTo((e[j] as number) / z, 6);
    }
  });
});

/** One GroupQueryAttention node as an onnxruntime-genai export writes it (no scale attribute: 1/sqrt(d)). */
async function writeGqaToy(path: string, heads: number, kvHeads: number): Promise<void> {
  const vi = (name: string, elemType = 1) =>
    onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType }) }) });
  const int = (name: string, i: number) => onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });
  const node = onnx.NodeProto.create({
    name: '/model/layers.0/attn/GroupQueryAttention',
    opType: 'GroupQueryAttention',
    domain: 'com.microsoft',
    input: ['q', 'k', 'v', 'past_key', 'past_value', 'seqlens_k', 'total_len'],
    output: ['y', 'present_key', 'present_value'],
    attribute: [int('num_heads', heads), int('kv_num_heads', kvHeads)],
  });
  const model: ModelProto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: 17 }),
      onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }),
    ],
    graph: onnx.GraphProto.create({
      name: 'gqa',
      node: [node],
      input: [vi('q'), vi('k'), vi('v'), vi('past_key'), vi('past_value'), vi('seqlens_k', 6), vi('total_len', 6)],
      output: [vi('y'), vi('present_key'), vi('present_value')],
    }),
  });
  await writeModel(path, model);
}

describe('loupe tap on a fused GroupQueryAttention decoder', () => {
  it('adds softmax(q_last K^T / sqrt(d)) over past + new keys, grouped heads, hiding keys beyond seqlens_k', async () => {
    const [heads, kvHeads, d, past, s] = [4, 2, 8, 3, 4];
    const file = join(tmp, 'gqa.onnx');
    await writeGqaToy(file, heads, kvHeads);
    const out = join(tmp, 'gqa.tapped.onnx');
    expect(await runTap([file, '--layers', '1', '--out', out], capture())).toBe(0);
    const total = past + s;
    const valid = total - 1; // the last key is padding (seqlens_k = valid - 1)
    const q = randomFloats(s * heads * d, 2);
    const k = randomFloats(s * kvHeads * d, 4);
    const v = randomFloats(s * kvHeads * d, 6);
    const pk = randomFloats(kvHeads * past * d, 8);
    const pv = randomFloats(kvHeads * past * d, 10);
    const session = await ort.InferenceSession.create(out);
    const res = await session.run({
      q: new ort.Tensor('float32', q, [1, s, heads * d]),
      k: new ort.Tensor('float32', k, [1, s, kvHeads * d]),
      v: new ort.Tensor('float32', v, [1, s, kvHeads * d]),
      past_key: new ort.Tensor('float32', pk, [1, kvHeads, past, d]),
      past_value: new ort.Tensor('float32', pv, [1, kvHeads, past, d]),
      seqlens_k: new ort.Tensor('int32', Int32Array.from([valid - 1]), [1]),
      total_len: new ort.Tensor('int32', Int32Array.from([total]), []),
    });
    const tap = res['decoder_attentions.0'] as ort.Tensor;
    expect(tap.dims).toEqual([1, heads, 1, total]);
    const present = (res['present_key'] as ort.Tensor).data as Float32Array; // [1, kv, total, d]
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / (heads / kvHeads));
      const scores = Array.from({ length: total }, (_, j) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += (q[((s - 1) * heads + h) * d + c] as number) * (present[(g * total + j) * d + c] as number);
        return dot / Math.sqrt(d);
      });
      const e = scores.map((x, j) => (j < valid ? Math.exp(x - Math.max(...scores.slice(0, valid))) : 0));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < total; j++) expect((tap.data as Float32Array)[h * total + j]).toBeCloseTo((e[j] as number) / z, 6);
    }
  });
});
