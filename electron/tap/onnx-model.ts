// Reading and writing ONNX ModelProto files with onnx-proto (the ONNX protobuf schema compiled for
// protobufjs). Only the graph structure is touched: weights stored as external data stay where they are
// (their `location` is relative to the model file's folder, so a tapped copy must sit beside them).
import { readFile, writeFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = InstanceType<typeof onnxProto.onnx.ModelProto>;
export type GraphProto = InstanceType<typeof onnxProto.onnx.GraphProto>;
export type NodeProto = InstanceType<typeof onnxProto.onnx.NodeProto>;
export type TensorProto = InstanceType<typeof onnxProto.onnx.TensorProto>;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;

/** protobufjs decodes int64 fields as Long objects (or numbers); this reads either. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return Number(v);
}

export async function readModel(path: string): Promise<ModelProto> {
  const bytes = await readFile(path);
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export async function writeModel(path: string, model: ModelProto): Promise<number> {
  const bytes = encodeModel(model);
  await writeFile(path, bytes);
  return bytes.length;
}

/** An int64 1-D tensor stored as raw little-endian bytes (no Long needed). */
export function int64Tensor(name: string, values: bigint[]): TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: DataType.INT64, rawData: raw });
}

/** Opset version of the default ONNX domain ('' or 'ai.onnx'), or null when not imported. */
export function defaultOpset(model: ModelProto): number | null {
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') return toNumber(o.version);
  }
  return null;
}

/** Files a model's initializers keep outside the .onnx (external data), relative to its folder. */
export function externalDataFiles(model: ModelProto): string[] {
  const files = new Set<string>();
  const visit = (g: GraphProto | null | undefined): void => {
    if (!g) return;
    for (const t of g.initializer ?? []) {
      for (const e of t.externalData ?? []) if (e.key === 'location' && e.value) files.add(e.value);
    }
    for (const n of g.node ?? [])
      for (const a of n.attribute ?? []) {
        visit(a.g as GraphProto | null | undefined);
        for (const sg of a.graphs ?? []) visit(sg as GraphProto);
      }
  };
  visit(model.graph as GraphProto | null | undefined);
  return [...files];
}
