// `loupe tap` for decoders whose attention is one fused onnxruntime operator per layer
// (com.microsoft GroupQueryAttention or MultiHeadAttention with a KV cache). The operator never exposes
// its softmax, so the tap is computed beside it from the tensors it does expose:
//
//   decoder_attentions.N = softmax(q_last K^T * scale + key_mask)   [batch, heads, 1, total]
//
// q_last is the operator's query input at the last position (already rotated: do_rotary = 0), K its
// present_key output (past + new keys, [batch, kv_heads, total, head_dim]), grouped so K is never
// repeated for grouped-query heads. The last query sits at the last position, so causality hides
// nothing from it; key_mask hides the keys the kernel ignores (beyond seqlens_k for GQA, the zeros of
// key_padding_mask for MHA). O(total) per head, the same computation the Loupe exporter writes natively.
import { InvalidModelError } from '../engine/errors.js';
import { DataType, int64Tensor, onnx, toNumber, type GraphProto, type NodeProto, type TensorProto } from './onnx-model.js';

const BOOL = 9; // TensorProto.DataType.BOOL

export const TAPPABLE_FUSED_OPS = new Set(['GroupQueryAttention', 'MultiHeadAttention']);

export interface FusedAttention {
  nodeIndex: number;
  nodeName: string;
  opType: 'GroupQueryAttention' | 'MultiHeadAttention';
  layer: number;
  /** Why no tap can be computed beside this node (fusedTapBlocker), or null. */
  blocker: string | null;
}

function attr(node: NodeProto, name: string): { i?: number; f?: number } | null {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return null;
  return { i: toNumber(a.i ?? 0), f: typeof a.f === 'number' ? a.f : 0 };
}

function floatTensor(name: string, values: number[], dims: number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: DataType.FLOAT, floatData: values });
}

/** Why this fused node cannot get a separate last-row tap, or null when it can. */
export function fusedTapBlocker(node: NodeProto): string | null {
  const op = node.opType ?? '';
  const inputs = node.input ?? [];
  const name = node.name || op;
  if ((node.output ?? [])[1] === undefined || (node.output ?? [])[1] === '') {
    return `${op} node '${name}' has no present_key output, so its keys are not visible to a tap`;
  }
  if (op === 'GroupQueryAttention') {
    if ((attr(node, 'do_rotary')?.i ?? 0) !== 0) return `GroupQueryAttention node '${name}' rotates q inside the kernel (do_rotary = 1)`;
    if (!inputs[1]) return `GroupQueryAttention node '${name}' takes packed QKV`;
    return null;
  }
  if (op === 'MultiHeadAttention') {
    if (inputs[3]) return `MultiHeadAttention node '${name}' adds a bias inside the kernel`;
    if (inputs[5]) return `MultiHeadAttention node '${name}' has an attention_bias input`;
    if (!inputs[1] || !inputs[2]) return `MultiHeadAttention node '${name}' takes packed QKV`;
    return null;
  }
  return `${op} is not a GroupQueryAttention or MultiHeadAttention operator`;
}

/**
 * Inserts, after each fused attention node, the nodes computing its last-row tap and returns the new
 * graph outputs' names (`decoder_attentions.{layer}`, float32). Mutates `graph`.
 */
export function addFusedTaps(graph: GraphProto, fused: FusedAttention[], fresh: (base: string) => string, prefix: string): string[] {
  const init = (t: TensorProto) => {
    graph.initializer = [...(graph.initializer ?? []), t];
    return t.name ?? '';
  };
  const lastStart = init(int64Tensor(fresh('loupe_tap/last'), [-1n]));
  const maxEnd = init(int64Tensor(fresh('loupe_tap/max'), [9223372036854775807n]));
  const axis1 = init(int64Tensor(fresh('loupe_tap/axis1'), [1n]));
  const axes12 = init(int64Tensor(fresh('loupe_tap/axes12'), [1n, 2n]));
  const idx2 = init(int64Tensor(fresh('loupe_tap/idx2'), [2n]));
  const zero64 = init(
    onnx.TensorProto.create({ name: fresh('loupe_tap/zero'), dims: [], dataType: DataType.INT64, rawData: new Uint8Array(8) }),
  );
  const one64 = init(int64Tensor(fresh('loupe_tap/one1'), [1n]));
  const axis0 = init(int64Tensor(fresh('loupe_tap/axis0'), [0n]));
  const oneScalar = init(
    onnx.TensorProto.create({
      name: fresh('loupe_tap/one'),
      dims: [],
      dataType: DataType.INT64,
      rawData: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]),
    }),
  );
  const zerof = init(floatTensor(fresh('loupe_tap/zero_f'), [0], []));
  const negf = init(floatTensor(fresh('loupe_tap/neg_f'), [-3.4028234663852886e38], []));
  // only needed where a node keeps the kernels' default scale (1 / sqrt(head_dim)): made on first use
  let defaults: { idx3: string; onef: string } | null = null;
  const scaleDefaults = () =>
    (defaults ??= { idx3: init(int64Tensor(fresh('loupe_tap/idx3'), [3n])), onef: init(floatTensor(fresh('loupe_tap/one_f'), [1], [])) });

  const after = new Map<number, NodeProto[]>();
  const names: string[] = [];
  for (const f of fused) {
    const node = (graph.node ?? [])[f.nodeIndex] as NodeProto;
    const blocker = fusedTapBlocker(node);
    if (blocker) throw new InvalidModelError(`Cannot tap layer ${f.layer}: ${blocker}.`, { field: f.opType });
    const gqa = f.opType === 'GroupQueryAttention';
    const heads = attr(node, 'num_heads')?.i ?? 0;
    const kvHeads = gqa ? (attr(node, 'kv_num_heads')?.i ?? 0) : heads;
    if (heads <= 0 || kvHeads <= 0 || heads % kvHeads !== 0) {
      throw new InvalidModelError(`${f.nodeName}: num_heads ${heads} / kv_num_heads ${kvHeads} are not a valid grouping.`, {
        field: 'num_heads',
      });
    }
    const query = node.input?.[0] ?? '';
    const presentKey = node.output?.[1] ?? '';
    const p = `loupe_tap/${f.layer}`;
    const nodes: NodeProto[] = [];
    const add = (opType: string, input: string[], extra: Partial<NodeProto> = {}): string => {
      const out = fresh(`${p}/${opType}`);
      nodes.push(onnx.NodeProto.create({ name: fresh(`${p}/${opType}_node`), opType, input, output: [out], ...extra }));
      return out;
    };
    const shape = (values: bigint[]) => init(int64Tensor(fresh(`${p}/shape`), values));
    const intAttr = (name: string, i: number) => onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });
    const intsAttr = (name: string, ints: number[]) =>
      onnx.AttributeProto.create({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });

    // q_last [B, 1, N*D] -> [B, kv, groups, D]; K^T [B, kv, D, T]; scores [B, kv, groups, T]
    const qLast = add('Slice', [query, lastStart, maxEnd, axis1]);
    const q4 = add('Reshape', [qLast, shape([0n, BigInt(kvHeads), BigInt(heads / kvHeads), -1n])]);
    const kT = add('Transpose', [presentKey], { attribute: [intsAttr('perm', [0, 1, 3, 2])] });
    let scores = add('MatMul', [q4, kT]);
    const kShape = add('Shape', [presentKey]);
    const scaleAttr = attr(node, 'scale')?.f ?? 0;
    let scale: string;
    if (scaleAttr !== 0) {
      scale = init(floatTensor(fresh(`${p}/scale`), [scaleAttr], []));
    } else {
      // the kernels' default: 1 / sqrt(head_dim)
      const { idx3, onef } = scaleDefaults();
      const d = add('Cast', [add('Gather', [kShape, idx3])], { attribute: [intAttr('to', DataType.FLOAT)] });
      scale = add('Div', [onef, add('Sqrt', [d])]);
    }
    // scores scaled in the model's dtype, then float32 like the exporter (a no-op Cast for float32 models)
    scores = add('Mul', [scores, add('CastLike', [scale, scores])]);
    scores = add('Reshape', [scores, shape([0n, BigInt(heads), 1n, -1n])]);
    scores = add('Cast', [scores], { attribute: [intAttr('to', DataType.FLOAT)] });

    // key mask [B, 1, 1, T]: 0 where the kernel reads the key, the float32 minimum elsewhere
    let valid: string | null = null;
    if (gqa) {
      const total = add('Squeeze', [add('Gather', [kShape, idx2]), axis0]);
      const positions = add('Range', [zero64, total, oneScalar]); // [T]
      const seqlens = node.input?.[5] ?? '';
      const limit = add('Add', [add('Cast', [seqlens], { attribute: [intAttr('to', DataType.INT64)] }), one64]); // [B]
      valid = add('Less', [add('Unsqueeze', [positions, axis0]), add('Unsqueeze', [limit, axis1])]); // [B, T]
    } else if (node.input?.[4]) {
      valid = add('Cast', [node.input[4]], { attribute: [intAttr('to', BOOL)] }); // key_padding_mask [B, T]
    }
    const biased = valid ? add('Add', [scores, add('Unsqueeze', [add('Where', [valid, zerof, negf]), axes12])]) : scores;
    const probs = add('Softmax', [biased], { attribute: [intAttr('axis', -1)] });
    const outName = `${prefix}${f.layer}`;
    nodes.push(onnx.NodeProto.create({ name: fresh(`${p}/Identity_node`), opType: 'Identity', input: [probs], output: [outName] }));
    after.set(f.nodeIndex, nodes);
    names.push(outName);
  }
  const out: NodeProto[] = [];
  (graph.node ?? []).forEach((n, i) => {
    out.push(n as NodeProto);
    const extra = after.get(i);
    if (extra) out.push(...extra);
  });
  graph.node = out;
  return names;
}
