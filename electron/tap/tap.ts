// `loupe tap`: add `decoder_attentions.N` outputs to an existing ONNX decoder whose attention is
// decomposed (MatMul -> Softmax -> MatMul per layer). Each tap is the LAST query row of that layer's
// softmax, [batch, heads, 1, total_length], float32: a Slice on the query axis (-2) and a Cast. The
// original file is never modified: the result is a new file beside it, or a new package folder.
//
// Fused attention operators never expose the softmax weights as a tensor. For GroupQueryAttention and
// MultiHeadAttention with a KV cache (what the Loupe exporter and onnxruntime-genai write), the tap is
// computed beside the operator from its query input and present keys (fused-tap.ts). Other fused
// operators (Attention, PackedAttention, ...) cannot be tapped: re-export the checkpoint with
// native-models/export_checkpoint.py, which writes the taps itself.
import { constants as fsConstants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { BadRequestError, InvalidModelError, NotFoundError } from '../engine/errors.js';
import {
  DataType,
  defaultOpset,
  externalDataFiles,
  int64Tensor,
  onnx,
  readModel,
  writeModel,
  type GraphProto,
  type ModelProto,
  type NodeProto,
} from './onnx-model.js';
import { addFusedTaps, fusedTapBlocker, TAPPABLE_FUSED_OPS, type FusedAttention } from './fused-tap.js';

export const TAP_PREFIX = 'decoder_attentions.';
export const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

/** Operators that compute attention internally (softmax weights never become a graph tensor). */
export const FUSED_ATTENTION_OPS = new Set([
  'Attention', // com.microsoft contrib op, and ai.onnx Attention (opset 23)
  'MultiHeadAttention',
  'GroupQueryAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'SparseAttention',
  'PagedAttention',
  'DecoderAttention',
  'DecoderMaskedSelfAttention',
  'DecoderMaskedMultiHeadAttention',
  'LongformerAttention',
  'QAttention',
  'QOrderedAttention',
  'RelativePositionBias',
]);

/** Ops allowed between the scores MatMul and the Softmax (scale, mask, casts, reshapes, soft-capping). */
const SCORE_PATH_OPS = new Set([
  'Add',
  'Mul',
  'Div',
  'Sub',
  'Cast',
  'Where',
  'Reshape',
  'Transpose',
  'Identity',
  'Max',
  'Min',
  'Clip',
  'Tanh',
  'Expand',
  'Squeeze',
  'Unsqueeze',
]);
/** Ops allowed between the Softmax and the MatMul with the values. */
const PROB_PATH_OPS = new Set(['Cast', 'Dropout', 'Identity', 'Reshape', 'Where', 'Mul']);

export interface AttentionSoftmax {
  /** Position of the Softmax node in graph.node. */
  nodeIndex: number;
  nodeName: string;
  /** The tensor the tap slices. */
  tensor: string;
  /** Layer index the tap is named after. */
  layer: number;
}

export interface DecoderInspection {
  fused: { opType: string; domain: string; name: string }[];
  /** Top-level GroupQueryAttention / MultiHeadAttention nodes, one per layer, in layer order. */
  fusedAttention: FusedAttention[];
  softmaxes: AttentionSoftmax[];
  /** Softmax nodes that did not sit between two MatMuls (ignored). */
  otherSoftmaxes: string[];
  /** Softmax nodes inside subgraphs (If/Loop bodies), which a tap cannot reach from the top graph. */
  nestedSoftmaxes: number;
  existingTaps: string[];
  opset: number | null;
}

function producers(graph: GraphProto): Map<string, NodeProto> {
  const m = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) m.set(o, n as NodeProto);
  return m;
}

function consumers(graph: GraphProto): Map<string, NodeProto[]> {
  const m = new Map<string, NodeProto[]>();
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n as NodeProto);
      else m.set(i, [n as NodeProto]);
    }
  }
  return m;
}

/** Walks backwards from `tensor` through score-path ops (depth-limited) looking for a MatMul. */
function fedByMatMul(tensor: string, prod: Map<string, NodeProto>, depth = 8): boolean {
  const node = prod.get(tensor);
  if (!node || depth === 0) return false;
  if (node.opType === 'MatMul' || node.opType === 'Einsum') return true;
  if (!SCORE_PATH_OPS.has(node.opType ?? '')) return false;
  return (node.input ?? []).some((i) => i !== '' && fedByMatMul(i, prod, depth - 1));
}

/** Walks forwards from `tensor` through probability-path ops looking for a MatMul that consumes it. */
function feedsMatMul(tensor: string, cons: Map<string, NodeProto[]>, depth = 4): boolean {
  if (depth === 0) return false;
  for (const n of cons.get(tensor) ?? []) {
    if (n.opType === 'MatMul' || n.opType === 'Einsum') return true;
    if (PROB_PATH_OPS.has(n.opType ?? '') && (n.output ?? []).some((o) => feedsMatMul(o, cons, depth - 1))) return true;
  }
  return false;
}

function countNested(graph: GraphProto, opType: string): number {
  let count = 0;
  for (const n of graph.node ?? []) {
    for (const a of n.attribute ?? []) {
      const subs = [a.g, ...(a.graphs ?? [])].filter((g): g is NonNullable<typeof g> => !!g) as GraphProto[];
      for (const sg of subs) {
        count += (sg.node ?? []).filter((x) => x.opType === opType).length + countNested(sg, opType);
      }
    }
  }
  return count;
}

function collectFused(graph: GraphProto, out: DecoderInspection['fused']): void {
  for (const n of graph.node ?? []) {
    if (FUSED_ATTENTION_OPS.has(n.opType ?? '')) out.push({ opType: n.opType ?? '', domain: n.domain || 'ai.onnx', name: n.name ?? '' });
    for (const a of n.attribute ?? []) {
      const subs = [a.g, ...(a.graphs ?? [])].filter((g): g is NonNullable<typeof g> => !!g) as GraphProto[];
      for (const sg of subs) collectFused(sg, out);
    }
  }
}

/** Layer number in a node name such as `/model/layers.12/self_attn/Softmax`, if any. */
function layerFromName(name: string): number | null {
  const m = /layers?[._/](\d+)(?!.*layers?[._/]\d)/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Finds each layer's attention softmax (MatMul -> ... -> Softmax -> ... -> MatMul) in graph order. */
export function inspectDecoder(model: ModelProto): DecoderInspection {
  const graph = model.graph as GraphProto | null | undefined;
  if (!graph) throw new InvalidModelError('The ONNX file has no graph.', { field: 'graph' });
  const prod = producers(graph);
  const cons = consumers(graph);
  const fused: DecoderInspection['fused'] = [];
  collectFused(graph, fused);
  const found: AttentionSoftmax[] = [];
  const other: string[] = [];
  (graph.node ?? []).forEach((n, nodeIndex) => {
    if (n.opType !== 'Softmax') return;
    const input = n.input?.[0] ?? '';
    const output = n.output?.[0] ?? '';
    if (fedByMatMul(input, prod) && feedsMatMul(output, cons)) {
      found.push({ nodeIndex, nodeName: n.name || `Softmax@${nodeIndex}`, tensor: output, layer: found.length });
    } else {
      other.push(n.name || `Softmax@${nodeIndex}`);
    }
  });
  // Node names usually carry the layer number; prefer it when every softmax has a distinct one.
  const named = found.map((s) => layerFromName(s.nodeName));
  if (named.every((x): x is number => x !== null) && new Set(named).size === named.length) {
    const sorted = [...named].sort((a, b) => a - b);
    if (sorted.every((x, i) => x === i)) found.forEach((s, i) => (s.layer = named[i] as number));
  }
  found.sort((a, b) => a.layer - b.layer);
  const fusedAttention: FusedAttention[] = [];
  (graph.node ?? []).forEach((n, nodeIndex) => {
    if (!TAPPABLE_FUSED_OPS.has(n.opType ?? '')) return;
    const opType = n.opType as FusedAttention['opType'];
    const nodeName = n.name || `${opType}@${nodeIndex}`;
    fusedAttention.push({ nodeIndex, nodeName, opType, layer: fusedAttention.length, blocker: fusedTapBlocker(n as NodeProto) });
  });
  const existingTaps = (graph.output ?? []).map((o) => o.name ?? '').filter((n) => n.startsWith(TAP_PREFIX));
  return {
    fused,
    fusedAttention,
    softmaxes: found,
    otherSoftmaxes: other,
    nestedSoftmaxes: countNested(graph, 'Softmax'),
    existingTaps,
    opset: defaultOpset(model),
  };
}

export interface AddTapsOptions {
  /** Heads per layer, written into the output's declared shape when known. */
  numHeads?: number;
}

/**
 * Adds, for each attention softmax, `Slice(axis -2, last row) -> Cast(float32)` and a graph output
 * `decoder_attentions.{layer}` [batch, heads, 1, total]. Mutates `model`; returns the output names.
 */
export function addTaps(model: ModelProto, softmaxes: AttentionSoftmax[], options: AddTapsOptions = {}): string[] {
  const graph = model.graph as GraphProto;
  const { fresh, taken } = namer(graph);
  const starts = fresh('loupe_tap/starts');
  const ends = fresh('loupe_tap/ends');
  const axes = fresh('loupe_tap/axes');
  graph.initializer = [
    ...(graph.initializer ?? []),
    int64Tensor(starts, [-1n]),
    int64Tensor(ends, [9223372036854775807n]),
    int64Tensor(axes, [-2n]),
  ];
  const names: string[] = [];
  // Insert each tap right after its softmax so the node list stays topologically sorted.
  const after = new Map<number, NodeProto[]>();
  for (const s of softmaxes) {
    const outName = `${TAP_PREFIX}${s.layer}`;
    if (taken.has(outName)) throw new InvalidModelError(`The decoder already has a tensor named ${outName}.`, { field: outName });
    const row = fresh(`loupe_tap/${s.layer}/last_row`);
    const slice = onnx.NodeProto.create({
      name: fresh(`loupe_tap/${s.layer}/Slice`),
      opType: 'Slice',
      input: [s.tensor, starts, ends, axes],
      output: [row],
    });
    const cast = onnx.NodeProto.create({
      name: fresh(`loupe_tap/${s.layer}/Cast`),
      opType: 'Cast',
      input: [row],
      output: [outName],
      attribute: [onnx.AttributeProto.create({ name: 'to', i: DataType.FLOAT, type: onnx.AttributeProto.AttributeType.INT })],
    });
    taken.add(outName);
    after.set(s.nodeIndex, [slice, cast]);
    names.push(outName);
  }
  const nodes: NodeProto[] = [];
  (graph.node ?? []).forEach((n, i) => {
    nodes.push(n as NodeProto);
    const extra = after.get(i);
    if (extra) nodes.push(...extra);
  });
  graph.node = nodes;
  declareTapOutputs(graph, names, options);
  return names;
}

/** Fresh tensor/node names that collide with nothing in `graph`. */
function namer(graph: GraphProto): { fresh: (base: string) => string; taken: Set<string> } {
  const taken = new Set<string>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) taken.add(o);
  for (const t of graph.initializer ?? []) taken.add(t.name ?? '');
  for (const i of graph.input ?? []) taken.add(i.name ?? '');
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  return { fresh, taken };
}

/** Graph outputs `decoder_attentions.N`: float32 [batch, heads, 1, total]. */
function declareTapOutputs(graph: GraphProto, names: string[], options: AddTapsOptions): void {
  const dim = (d: { dimParam?: string; dimValue?: number }) => onnx.TensorShapeProto.Dimension.create(d);
  const tapOutputs = names.map((name) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: [
              dim({ dimParam: 'batch_size' }),
              options.numHeads ? dim({ dimValue: options.numHeads }) : dim({ dimParam: 'num_heads' }),
              dim({ dimValue: 1 }),
              dim({ dimParam: 'total_sequence_length' }),
            ],
          }),
        }),
      }),
    }),
  );
  graph.output = [...(graph.output ?? []), ...tapOutputs];
}

/**
 * Adds, beside each fused GroupQueryAttention / MultiHeadAttention node, the separate last-row tap
 * computation (fused-tap.ts) and its graph output. Mutates `model`; returns the output names.
 */
export function addTapsToFused(model: ModelProto, fused: FusedAttention[], options: AddTapsOptions = {}): string[] {
  const graph = model.graph as GraphProto;
  const { fresh, taken } = namer(graph);
  for (const f of fused) {
    const outName = `${TAP_PREFIX}${f.layer}`;
    if (taken.has(outName)) throw new InvalidModelError(`The decoder already has a tensor named ${outName}.`, { field: outName });
  }
  const names = addFusedTaps(graph, fused, fresh, TAP_PREFIX);
  declareTapOutputs(graph, names, options);
  return names;
}

export interface TapOptions {
  /** A model package folder, or a decoder .onnx file. */
  target: string;
  /** Package mode: a new package folder. File mode: the new .onnx file. */
  out?: string;
  /** Decoder file inside the package (default onnx/decoder_model_merged.onnx). */
  decoder?: string;
  /** Replace an existing output. */
  force?: boolean;
  /** Layers, when the folder has no config.json (file mode). */
  numLayers?: number;
}

export interface TapResult {
  /** What was written: the tapped decoder file. */
  output: string;
  /** The package folder written in --out mode. */
  packageDir?: string;
  source: string;
  taps: string[];
  softmaxNodes: string[];
  alreadyTapped: boolean;
  bytes: number;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** num_hidden_layers / num_attention_heads from config.json (top level, or text_config for Qwen3-VL). */
export function layersAndHeads(config: Record<string, unknown> | null): { layers?: number; heads?: number; family?: string } {
  if (!config) return {};
  const text = (config['text_config'] && typeof config['text_config'] === 'object' ? config['text_config'] : {}) as Record<string, unknown>;
  const pick = (k: string): number | undefined => {
    const v = config[k] ?? text[k];
    return typeof v === 'number' ? v : undefined;
  };
  const family = typeof config['model_type'] === 'string' ? (config['model_type'] as string) : undefined;
  const out: { layers?: number; heads?: number; family?: string } = {};
  const layers = pick('num_hidden_layers');
  const heads = pick('num_attention_heads');
  if (layers !== undefined) out.layers = layers;
  if (heads !== undefined) out.heads = heads;
  if (family !== undefined) out.family = family;
  return out;
}

const REEXPORT_HINT =
  'Re-export the checkpoint with the Loupe exporter, which writes the taps itself: ' +
  'python native-models/export_checkpoint.py CHECKPOINT_DIR OUT_DIR (see docs/bring-your-own-model.md).';

/** Checks what `inspectDecoder` found and explains, in one error, why the decoder cannot be tapped. */
export function assertTappable(ins: DecoderInspection, file: string, numLayers?: number): void {
  if (ins.fused.length > 0) {
    assertFusedTappable(ins, file, numLayers);
    return;
  }
  if (ins.softmaxes.length === 0) {
    const nested =
      ins.nestedSoftmaxes > 0
        ? ` Its ${ins.nestedSoftmaxes} Softmax nodes sit inside If/Loop subgraphs (an optimum-style merged decoder with a use_cache_branch), which loupe tap does not rewrite.`
        : ins.otherSoftmaxes.length > 0
          ? ` It has Softmax nodes (${ins.otherSoftmaxes.slice(0, 3).join(', ')}) but none between a scores MatMul and a values MatMul.`
          : ' It has no Softmax node at all.';
    throw new InvalidModelError(`${file}: no decomposed attention (MatMul -> Softmax -> MatMul) found.${nested} ${REEXPORT_HINT}`, {
      file,
    });
  }
  if (numLayers !== undefined && ins.softmaxes.length !== numLayers) {
    throw new InvalidModelError(
      `${file}: found ${ins.softmaxes.length} attention softmaxes but config.json says num_hidden_layers = ${numLayers}; ` +
        `cannot tell which softmax belongs to which layer. ${REEXPORT_HINT}`,
      { file, field: 'num_hidden_layers' },
    );
  }
  if (ins.opset !== null && ins.opset < 10) {
    throw new InvalidModelError(
      `${file} uses ONNX opset ${ins.opset}; loupe tap needs opset >= 10 (Slice with tensor inputs). ${REEXPORT_HINT}`,
      { file, field: 'opset_import' },
    );
  }
}

/** A fused decoder is tappable when every fused node is a top-level GQA/MHA with visible keys. */
function assertFusedTappable(ins: DecoderInspection, file: string, numLayers?: number): void {
  const kinds = [...new Set(ins.fused.map((f) => `${f.opType} (${f.domain})`))].join(', ');
  const other = ins.fused.filter((f) => !TAPPABLE_FUSED_OPS.has(f.opType));
  if (other.length > 0 || ins.fusedAttention.length !== ins.fused.length) {
    const bad = other[0] ?? ins.fused[0];
    throw new InvalidModelError(
      `${file} computes attention with fused ${kinds} operators (${ins.fused.length} nodes, e.g. '${bad?.name}'). ` +
        'loupe tap adds a separate last-row computation beside top-level GroupQueryAttention and MultiHeadAttention nodes only; ' +
        `this operator never exposes its keys or softmax weights as tensors. ${REEXPORT_HINT}`,
      { file, field: bad?.opType },
    );
  }
  const blocked = ins.fusedAttention.find((f) => f.blocker !== null);
  if (blocked) {
    throw new InvalidModelError(`${file}: cannot tap layer ${blocked.layer}: ${blocked.blocker}. ${REEXPORT_HINT}`, {
      file,
      field: blocked.opType,
    });
  }
  if (ins.softmaxes.length > 0) {
    throw new InvalidModelError(
      `${file} mixes fused ${kinds} nodes with ${ins.softmaxes.length} decomposed attention softmaxes; cannot tell which layer is which. ${REEXPORT_HINT}`,
      { file },
    );
  }
  if (numLayers !== undefined && ins.fusedAttention.length !== numLayers) {
    throw new InvalidModelError(
      `${file}: found ${ins.fusedAttention.length} fused attention nodes but config.json says num_hidden_layers = ${numLayers}; ` +
        `cannot tell which node belongs to which layer. ${REEXPORT_HINT}`,
      { file, field: 'num_hidden_layers' },
    );
  }
  if (ins.opset !== null && ins.opset < 15) {
    throw new InvalidModelError(
      `${file} uses ONNX opset ${ins.opset}; a fused decoder's tap needs opset >= 15 (CastLike). ${REEXPORT_HINT}`,
      {
        file,
        field: 'opset_import',
      },
    );
  }
}

function defaultTappedName(file: string): string {
  const stem = basename(file)
    .replace(/\.onnx$/, '')
    .replace(/\.notap$/, '');
  return `${stem}.tapped.onnx`;
}

/** Files at least this large are hard-linked into a new package when possible (weights), others copied. */
const LINK_THRESHOLD = 64 * 1024 * 1024;

/**
 * Copies a file; large ones (multi-GB ONNX / external data) are hard-linked when on the same file
 * system, so that tapping a real model does not duplicate its weights. Nothing in a new package is
 * ever written in place, so a link cannot change the original.
 */
async function linkOrCopy(src: string, dst: string): Promise<void> {
  if ((await stat(src)).size >= LINK_THRESHOLD) {
    try {
      await link(src, dst);
      return;
    } catch {
      // different file system: fall through to a copy
    }
  }
  await copyFile(src, dst, fsConstants.COPYFILE_FICLONE);
}

async function copyTree(srcDir: string, dstDir: string, skip: Set<string>): Promise<void> {
  await mkdir(dstDir, { recursive: true });
  for (const entry of await readdir(srcDir, { withFileTypes: true })) {
    const src = join(srcDir, entry.name);
    if (skip.has(resolve(src))) continue;
    const dst = join(dstDir, entry.name);
    if (entry.isDirectory()) await copyTree(src, dst, skip);
    else if (entry.isFile()) await linkOrCopy(src, dst);
  }
}

/** Taps a package's decoder (or a lone decoder file) and writes the result; see TapOptions. */
export async function tapModel(options: TapOptions): Promise<TapResult> {
  const target = resolve(options.target);
  if (!(await exists(target))) throw new NotFoundError(`${options.target} does not exist.`, { file: options.target });
  const isFile = (await stat(target)).isFile();
  const pkgDir = isFile ? dirname(target) : target;
  const decoderRel = isFile ? basename(target) : (options.decoder ?? DECODER_FILE);
  const source = isFile ? target : resolve(pkgDir, decoderRel.includes('/') ? decoderRel : join('onnx', decoderRel));
  if (!(await exists(source))) {
    throw new NotFoundError(
      `${relative(process.cwd(), source) || source} not found: a model package keeps its decoder at ${DECODER_FILE} (or name another with --decoder).`,
      { file: decoderRel },
    );
  }
  const config = isFile ? null : await readJson(join(pkgDir, 'config.json'));
  const { layers, heads } = layersAndHeads(config);
  const numLayers = options.numLayers ?? layers;

  const model = await readModel(source);
  const shown = isFile ? basename(source) : relative(pkgDir, source);
  const ins = inspectDecoder(model);
  if (ins.existingTaps.length > 0 && (numLayers === undefined || ins.existingTaps.length >= numLayers)) {
    return { output: source, source, taps: ins.existingTaps, softmaxNodes: [], alreadyTapped: true, bytes: 0 };
  }
  if (ins.existingTaps.length > 0) {
    throw new InvalidModelError(
      `${shown} already has ${ins.existingTaps.length} of ${numLayers} decoder_attentions outputs; tap the untapped original instead.`,
      { file: shown, field: ins.existingTaps[0] },
    );
  }
  assertTappable(ins, shown, numLayers);
  const tapOptions = heads !== undefined ? { numHeads: heads } : {};
  const fused = ins.fused.length > 0;
  const taps = fused ? addTapsToFused(model, ins.fusedAttention, tapOptions) : addTaps(model, ins.softmaxes, tapOptions);
  model.producerName = model.producerName ? `${model.producerName} + loupe tap` : 'loupe tap';

  let output: string;
  let packageDir: string | undefined;
  if (!isFile && options.out) {
    packageDir = resolve(options.out);
    if (packageDir === pkgDir)
      throw new BadRequestError('--out must be a new folder, not the model folder itself (the original is left untouched).', {
        field: 'out',
      });
    if ((await exists(packageDir)) && (await readdir(packageDir)).length > 0 && !options.force) {
      throw new BadRequestError(`${options.out} exists and is not empty; choose a new folder or pass --force.`, {
        file: options.out,
        field: 'out',
      });
    }
    output = join(packageDir, DECODER_FILE);
    // everything but the decoder files is linked/copied; external data stays valid beside the new decoder
    await copyTree(pkgDir, packageDir, new Set([source, resolve(pkgDir, DECODER_FILE)]));
    await mkdir(dirname(output), { recursive: true });
    for (const f of externalDataFiles(model)) {
      const src = join(dirname(source), f);
      const dst = join(dirname(output), f);
      if (!(await exists(dst)) && (await exists(src))) await linkOrCopy(src, dst);
    }
  } else {
    output = options.out ? resolve(options.out) : join(dirname(source), defaultTappedName(source));
    if (output === source)
      throw new BadRequestError('The output would overwrite the original decoder; choose another name.', { field: 'out' });
    if (externalDataFiles(model).length > 0 && dirname(output) !== dirname(source)) {
      throw new BadRequestError(
        `${shown} keeps its weights in external data files (${externalDataFiles(model).join(', ')}), which must sit beside the model file: write the tapped file into ${dirname(source)} or use package mode (--out NEW_DIR on the model folder).`,
        { field: 'out' },
      );
    }
    if ((await exists(output)) && !options.force) {
      throw new BadRequestError(`${output} exists; pass --force to replace it.`, { file: output, field: 'out' });
    }
  }
  const bytes = await writeModel(output, model);
  if (packageDir) await updateManifest(pkgDir, packageDir, taps, relative(pkgDir, source), config);
  return {
    output,
    ...(packageDir ? { packageDir } : {}),
    source,
    taps,
    softmaxNodes: fused ? ins.fusedAttention.map((f) => f.nodeName) : ins.softmaxes.map((s) => s.nodeName),
    alreadyTapped: false,
    bytes,
  };
}

async function updateManifest(
  srcDir: string,
  outDir: string,
  taps: string[],
  sourceDecoder: string,
  config: Record<string, unknown> | null,
): Promise<void> {
  const old = (await readJson(join(srcDir, 'loupe.json'))) ?? {};
  const { layers, heads, family } = layersAndHeads(config);
  const manifest: Record<string, unknown> = {
    name: basename(outDir),
    ...(family ? { family } : {}),
    ...(layers !== undefined ? { layers } : {}),
    ...(heads !== undefined ? { heads } : {}),
    ...old,
    taps,
    tap_kind: 'last_query_row',
    tapped_by: { tool: 'loupe tap', source_package: srcDir, source_decoder: sourceDecoder, at: new Date().toISOString() },
  };
  const target = join(outDir, 'loupe.json');
  // the copied loupe.json may be a hard link to the original: replace the link, never write through it
  await writeFile(`${target}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
  await rm(target, { force: true });
  await rename(`${target}.tmp`, target);
}
