// `loupe tap --hidden-states` also writes onnx/lm_head.onnx: a graph that gathers the lm_head rows of
// given token ids from the decoder's lm_head weight (input `input_ids` int64 [n], output `unembedding`
// float32 [n, hidden]). Activation maps score hidden states against these rows; an untied lm_head
// (Qwen2.5-VL-7B, the tiny fixtures) has no other source in an ONNX package. Only rows are gathered: the
// logits over the visual area (cells x vocab) are never formed. The weight initializer is copied as it is:
// inline bytes for small packages, and for external data the same `location`/offset, so the new graph reads
// the decoder's data file instead of duplicating a vocab x hidden matrix on disk.
import type onnxProto from 'onnx-proto';
import { InvalidModelError } from '../engine/errors.js';
import { UNEMBEDDING_INPUT, UNEMBEDDING_OUTPUT } from '../engine/model/package.js';
import { lmHeadNode } from './hidden-states.js';
import { DataType, defaultOpset, onnx, toNumber, type ModelProto } from './onnx-model.js';

type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

/** The lm_head weight initializer and the axis its vocabulary runs along. */
export function lmHeadWeight(model: ModelProto, file = 'decoder'): { weight: ITensor; vocabAxis: 0 | 1 } {
  const graph = model.graph;
  if (!graph) throw new InvalidModelError(`${file} has no graph.`, { file });
  const node = lmHeadNode(graph, file);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = new Map<string, INode>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  // MatMul(h, W): W is [hidden, vocab]. Gemm(h, W, transB=1): W is [vocab, hidden].
  const transB = node.opType === 'Gemm' && (node.attribute ?? []).some((a) => a.name === 'transB' && toNumber(a.i) === 1);
  let vocabAxis: 0 | 1 = transB ? 0 : 1;
  let name = node.input?.[1] ?? '';
  const via = producer.get(name);
  if (via?.opType === 'Transpose') {
    // An exporter that keeps nn.Linear's [vocab, hidden] weight and transposes it in the graph.
    vocabAxis = vocabAxis === 0 ? 1 : 0;
    name = via.input?.[0] ?? '';
  }
  const weight = inits.get(name);
  const type = weight?.dataType ?? 0;
  if (!weight || (weight.dims ?? []).length !== 2 || (type !== DataType.FLOAT && type !== DataType.FLOAT16))
    throw new InvalidModelError(
      `${file}: the lm_head ${node.opType} weight \`${name}\` is not a 2-D float32/float16 initializer (a quantised head?), so its rows cannot be gathered; activation maps need a float lm_head.`,
      { file, field: name },
    );
  return { weight, vocabAxis };
}

/** The onnx/lm_head.onnx model: Gather rows of the decoder's lm_head weight, as float32 [n, hidden]. */
export function buildUnembeddingModel(decoder: ModelProto, file = 'decoder'): ModelProto {
  const { weight, vocabAxis } = lmHeadWeight(decoder, file);
  const dims = (weight.dims ?? []).map(toNumber);
  const hidden = dims[vocabAxis === 0 ? 1 : 0];
  const W = 'lm_head_weight';
  const nodes: INode[] = [
    onnx.NodeProto.create({
      name: 'gather_rows',
      opType: 'Gather',
      input: [W, UNEMBEDDING_INPUT],
      output: ['gathered'],
      attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: vocabAxis })],
    }),
  ];
  let rows = 'gathered';
  if (vocabAxis === 1) {
    // [hidden, n] -> [n, hidden]
    nodes.push(
      onnx.NodeProto.create({
        name: 'rows_first',
        opType: 'Transpose',
        input: ['gathered'],
        output: ['rows'],
        attribute: [onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] })],
      }),
    );
    rows = 'rows';
  }
  nodes.push(
    onnx.NodeProto.create({
      name: 'to_float32',
      opType: 'Cast',
      input: [rows],
      output: [UNEMBEDDING_OUTPUT],
      attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT })],
    }),
  );
  const dim = (d: { dimParam?: string; dimValue?: number }) => onnx.TensorShapeProto.Dimension.create(d);
  const value = (name: string, elemType: number, shape: { dimParam?: string; dimValue?: number }[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({ elemType, shape: onnx.TensorShapeProto.create({ dim: shape.map(dim) }) }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: 'loupe_unembedding',
    node: nodes,
    initializer: [onnx.TensorProto.create({ ...weight, name: W })],
    input: [value(UNEMBEDDING_INPUT, DataType.INT64, [{ dimParam: 'n' }])],
    output: [value(UNEMBEDDING_OUTPUT, DataType.FLOAT, [{ dimParam: 'n' }, { dimValue: hidden }])],
  });
  return onnx.ModelProto.create({
    irVersion: decoder.irVersion ?? 8,
    producerName: 'loupe tap --hidden-states',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: Math.max(13, defaultOpset(decoder) ?? 13) })],
    graph,
  });
}
