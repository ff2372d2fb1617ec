// onnx/lm_head.onnx built from a decoder's lm_head weight, on small synthetic decoders covering each way an
// exporter writes the projection: MatMul(h, W[hidden, vocab]), Gemm with transB (W[vocab, hidden]), and a
// Transpose of nn.Linear's [vocab, hidden] weight. The rows gathered in onnxruntime are the weight's rows;
// an external-data weight keeps its location/offset (nothing copied); a quantised head is refused.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, encodeModel, onnx, type ModelProto } from './onnx-model.js';
import { buildUnembeddingModel, lmHeadWeight } from './unembedding.js';

const HIDDEN = 3;
const VOCAB = 5;
/** The unembedding matrix every case must give back: row v, column d = v * 10 + d. */
const U = Array.from({ length: VOCAB }, (_, v) => Array.from({ length: HIDDEN }, (_, d) => v * 10 + d));

function tensor(name: string, rows: number[][], dataType: number = DataType.FLOAT) {
  return onnx.TensorProto.create({ name, dims: [rows.length, rows[0].length], dataType, floatData: rows.flat() });
}

const transpose = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));

function decoder(kind: 'matmul' | 'gemm' | 'transpose' | 'quantised'): ModelProto {
  const nodes = [];
  const inits = [];
  if (kind === 'matmul') {
    inits.push(tensor('W', transpose(U)));
    nodes.push(onnx.NodeProto.create({ opType: 'MatMul', input: ['h', 'W'], output: ['logits'] }));
  } else if (kind === 'gemm') {
    inits.push(tensor('W', U));
    nodes.push(
      onnx.NodeProto.create({
        opType: 'Gemm',
        input: ['h', 'W'],
        output: ['logits'],
        attribute: [onnx.AttributeProto.create({ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
      }),
    );
  } else if (kind === 'transpose') {
    inits.push(tensor('Wt', U));
    nodes.push(onnx.NodeProto.create({ opType: 'Transpose', input: ['Wt'], output: ['W'] }));
    nodes.push(onnx.NodeProto.create({ opType: 'MatMul', input: ['h', 'W'], output: ['l32'] }));
    nodes.push(onnx.NodeProto.create({ opType: 'Cast', input: ['l32'], output: ['logits'] }));
  } else {
    inits.push(onnx.TensorProto.create({ name: 'Wq', dims: [VOCAB, 2], dataType: 2, rawData: new Uint8Array(VOCAB * 2) }));
    nodes.push(onnx.NodeProto.create({ opType: 'MatMul', input: ['h', 'Wq'], output: ['logits'] }));
  }
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
    graph: onnx.GraphProto.create({ name: 'd', node: nodes, initializer: inits }),
  });
}

async function gather(model: ModelProto, ids: number[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [ids.length]) });
    const t = out['unembedding']!;
    expect(t.dims).toEqual([ids.length, HIDDEN]);
    const data = Array.from(t.data as Float32Array);
    return ids.map((_, i) => data.slice(i * HIDDEN, (i + 1) * HIDDEN));
  } finally {
    await session.release();
  }
}

describe('onnx/lm_head.onnx', () => {
  it.each(['matmul', 'gemm', 'transpose'] as const)('gathers the lm_head rows of given ids (%s)', async (kind) => {
    const ids = [4, 0, 2, 4];
    expect(await gather(buildUnembeddingModel(decoder(kind)), ids)).toEqual(ids.map((v) => U[v]));
  });

  it('keeps an external-data weight where it is (same file, offset and length)', () => {
    const d = decoder('matmul');
    const w = d.graph!.initializer![0];
    w.floatData = [];
    w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    w.externalData = [
      onnx.StringStringEntryProto.create({ key: 'location', value: 'decoder_model_merged.onnx_data' }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: '4096' }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(VOCAB * HIDDEN * 4) }),
    ];
    const built = buildUnembeddingModel(d).graph!.initializer![0];
    expect(built.externalData?.map((e) => [e.key, e.value])).toEqual([
      ['location', 'decoder_model_merged.onnx_data'],
      ['offset', '4096'],
      ['length', String(VOCAB * HIDDEN * 4)],
    ]);
    expect(built.dims?.map(Number)).toEqual([HIDDEN, VOCAB]);
  });

  it('refuses a head whose weight is not a float matrix, naming it', () => {
    expect(() => lmHeadWeight(decoder('quantised'), 'decoder.onnx')).toThrow(
      /decoder\.onnx: the lm_head MatMul weight `Wq` is not a 2-D float32\/float16 initializer/,
    );
  });
});
