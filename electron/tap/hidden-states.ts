// `loupe tap --hidden-states`: adds a decoder output `decoder_hidden_states` float32 [batch, seq, hidden]
// holding the final normalised hidden states (the input of the lm_head projection, before any selection of
// the last position), which activation maps read (docs/metrics.md "Activation maps"). Kept apart from the
// attention taps (tap.ts): it touches only the graph's tail, one Cast node and one output.
import type onnxProto from 'onnx-proto';
import { DataType, onnx, type ModelProto } from './onnx-model.js';

type IGraph = onnxProto.onnx.IGraphProto;
type INode = onnxProto.onnx.INodeProto;
import { InvalidModelError } from '../engine/errors.js';
import { HIDDEN_STATES_OUTPUT } from '../engine/model/package.js';

export { HIDDEN_STATES_OUTPUT };

/** Ops that pass a tensor through unchanged in value (dtype casts, identities) on the way to `logits`. */
const PASS_THROUGH = new Set(['Cast', 'Identity']);
/** Ops an exporter puts between the final norm and lm_head to keep only the last positions. */
const POSITION_SELECT = new Set(['Gather', 'Slice']);

/**
 * The tensor holding the final normalised hidden states of every position: from `logits` back through
 * casts to the lm_head MatMul (or Gemm), its activation input, and before a Gather/Slice that keeps only
 * the last position(s).
 */
export function finalHiddenName(graph: IGraph, file = 'decoder'): string {
  const node = lmHeadNode(graph, file);
  let hidden = node.input?.[0] ?? '';
  const producer = new Map<string, INode>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const select = producer.get(hidden);
  if (select && POSITION_SELECT.has(select.opType ?? '')) hidden = select.input?.[0] ?? hidden;
  return hidden;
}

/** The lm_head projection: the MatMul or Gemm that `logits` comes from through casts. */
export function lmHeadNode(graph: IGraph, file = 'decoder'): INode {
  const producer = new Map<string, INode>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  let name = 'logits';
  let node = producer.get(name);
  while (node && PASS_THROUGH.has(node.opType ?? '')) {
    name = node.input?.[0] ?? '';
    node = producer.get(name);
  }
  if (!node || (node.opType !== 'MatMul' && node.opType !== 'Gemm'))
    throw new InvalidModelError(
      `${file}: \`logits\` does not come from a MatMul or Gemm (the lm_head projection) at the top of the graph, so the final hidden states cannot be found; re-export the checkpoint with native-models/export_checkpoint.py.`,
      { file, field: 'logits' },
    );
  return node;
}

/** Adds the output (idempotent). Returns whether it was added and the tensor it copies. */
export function addHiddenStatesOutput(model: ModelProto, file = 'decoder'): { added: boolean; source: string } {
  const graph = model.graph;
  if (!graph) throw new InvalidModelError(`${file} has no graph.`, { file });
  const existing = (graph.output ?? []).find((o) => o.name === HIDDEN_STATES_OUTPUT);
  const source = finalHiddenName(graph, file);
  if (existing) return { added: false, source };
  // A Cast to float32 (a no-op for float32 models) so fp16 packages give the engine the same dtype.
  const cast = onnx.NodeProto.create({
    name: 'loupe_hidden_states_cast',
    opType: 'Cast',
    input: [source],
    output: [HIDDEN_STATES_OUTPUT],
    attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT })],
  });
  graph.node = [...(graph.node ?? []), cast];
  const dim = (d: { dimParam?: string; dimValue?: number }) => onnx.TensorShapeProto.Dimension.create(d);
  graph.output = [
    ...(graph.output ?? []),
    onnx.ValueInfoProto.create({
      name: HIDDEN_STATES_OUTPUT,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: [dim({ dimParam: 'batch_size' }), dim({ dimParam: 'sequence_length' }), dim({ dimParam: 'hidden_size' })],
          }),
        }),
      }),
    }),
  ];
  return { added: true, source };
}
