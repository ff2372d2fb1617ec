// Reads an ONNX file's graph inputs and outputs (names, element types, shapes) and the external-data files
// its initializers point to, WITHOUT loading weights: a streaming protobuf walk that skips node and weight
// payloads by their length prefix. Validation runs on every discovered folder, and creating an
// InferenceSession for an 8B decoder just to read its names would load gigabytes.
import { open, type FileHandle } from 'node:fs/promises';

export interface OnnxValueInfo {
  name: string;
  /** ONNX TensorProto.DataType (1 float, 7 int64, 10 float16, 9 bool, ...); 0 when not a tensor. */
  elemType: number;
  /** Fixed sizes as numbers, symbolic ones as their names, unknown as null. */
  shape: (number | string | null)[] | null;
}

export interface OnnxIo {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** `location` of every initializer stored outside the file, relative to the file's folder. */
  externalData: string[];
}

export const ONNX_ELEM_TYPE_NAMES: Record<number, string> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};

/** Buffered positional reader over a file: protobuf fields are read one at a time, payloads skipped. */
class Reader {
  private buf = Buffer.alloc(1 << 16);
  private bufStart = 0;
  private bufLen = 0;
  pos = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async fill(at: number): Promise<void> {
    const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, at);
    this.bufStart = at;
    this.bufLen = bytesRead;
  }

  async byte(): Promise<number> {
    if (this.pos >= this.size) throw new Error('unexpected end of file');
    if (this.pos < this.bufStart || this.pos >= this.bufStart + this.bufLen) await this.fill(this.pos);
    return this.buf[this.pos++ - this.bufStart];
  }

  async varint(): Promise<number> {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('malformed varint');
  }

  async bytes(n: number): Promise<Buffer> {
    if (this.pos + n > this.size) throw new Error('field runs past the end of the file');
    const out = Buffer.alloc(n);
    await this.fh.read(out, 0, n, this.pos);
    this.pos += n;
    return out;
  }

  /** Skips a field's payload given its wire type. */
  async skip(wire: number): Promise<void> {
    if (wire === 0) await this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const len = await this.varint(); // `this.pos += await ...` would add to the pos read BEFORE the prefix
      this.pos += len;
    } else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** Minimal in-memory protobuf walk for the small messages (ValueInfoProto, TensorProto headers). */
function* fields(buf: Buffer): Generator<{ field: number; wire: number; value: number; bytes?: Buffer }> {
  let p = 0;
  const varint = (): number => {
    let r = 0;
    let m = 1;
    for (;;) {
      const b = buf[p++];
      if (b === undefined) throw new Error('truncated message');
      r += (b & 0x7f) * m;
      if ((b & 0x80) === 0) return r;
      m *= 128;
    }
  };
  while (p < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const len = varint();
      yield { field, wire, value: len, bytes: buf.subarray(p, p + len) };
      p += len;
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function parseDim(buf: Buffer): number | string | null {
  for (const f of fields(buf)) {
    if (f.field === 1 && f.wire === 0) return f.value;
    if (f.field === 2 && f.bytes) return f.bytes.toString('utf8');
  }
  return null;
}

function parseValueInfo(buf: Buffer): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, shape: null };
  for (const f of fields(buf)) {
    if (f.field === 1 && f.bytes) info.name = f.bytes.toString('utf8');
    if (f.field !== 2 || !f.bytes) continue;
    for (const t of fields(f.bytes)) {
      if (t.field !== 1 || !t.bytes) continue; // TypeProto.tensor_type
      for (const tt of fields(t.bytes)) {
        if (tt.field === 1 && tt.wire === 0) info.elemType = tt.value;
        if (tt.field === 2 && tt.bytes) {
          info.shape = [];
          for (const d of fields(tt.bytes)) if (d.field === 1 && d.bytes) info.shape.push(parseDim(d.bytes));
        }
      }
    }
  }
  return info;
}

/** Reads one TensorProto (an initializer) header, skipping its payload, and returns its external location. */
async function readInitializerLocation(r: Reader, end: number): Promise<string | null> {
  let location: string | null = null;
  while (r.pos < end) {
    const tag = await r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 13 && wire === 2) {
      // external_data: StringStringEntryProto {key = 1, value = 2}
      const entry = await r.bytes(await r.varint());
      let key = '';
      let value = '';
      for (const f of fields(entry)) {
        if (f.field === 1 && f.bytes) key = f.bytes.toString('utf8');
        if (f.field === 2 && f.bytes) value = f.bytes.toString('utf8');
      }
      if (key === 'location') location = value;
    } else await r.skip(wire);
  }
  r.pos = end;
  return location;
}

/** Graph inputs/outputs of an ONNX file. Throws with a short reason when the file is not an ONNX model. */
export async function readOnnxIo(path: string): Promise<OnnxIo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const r = new Reader(fh, size);
    const io: OnnxIo = { inputs: [], outputs: [], externalData: [] };
    const external = new Set<string>();
    let sawGraph = false;
    while (r.pos < size) {
      const tag = await r.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field !== 7 || wire !== 2) {
        await r.skip(wire);
        continue;
      }
      sawGraph = true;
      const graphLen = await r.varint(); // read before r.pos: the length prefix itself moves the cursor
      const graphEnd = r.pos + graphLen;
      if (graphEnd > size) throw new Error('graph runs past the end of the file (truncated download?)');
      while (r.pos < graphEnd) {
        const gtag = await r.varint();
        const gfield = Math.floor(gtag / 8);
        const gwire = gtag & 7;
        if ((gfield === 11 || gfield === 12) && gwire === 2) {
          const info = parseValueInfo(await r.bytes(await r.varint()));
          (gfield === 11 ? io.inputs : io.outputs).push(info);
        } else if (gfield === 5 && gwire === 2) {
          const len = await r.varint();
          const end = r.pos + len;
          const loc = await readInitializerLocation(r, end);
          if (loc) external.add(loc);
        } else await r.skip(gwire);
      }
      r.pos = graphEnd;
    }
    if (!sawGraph) throw new Error('no graph found: not an ONNX model file');
    // Older exporters (IR < 4) also list initializers as graph inputs; callers only check that the names
    // they need are present, so the extras do no harm.
    io.externalData = [...external];
    if (r.pos > size) throw new Error('file is truncated');
    return io;
  } finally {
    await fh.close();
  }
}
