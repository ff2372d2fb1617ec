// NumPy's .npy and .npz formats, written without NumPy: what `np.load` reads with the default
// allow_pickle=False. Browser-safe (no Node imports): the renderer writes an analysis's .npz with the
// same code the engine uses for a run's. Format: numpy.lib.format (version 1.0 headers) inside a ZIP
// archive whose members are stored uncompressed (ZIP method 0), as `np.savez` does.

export type NpyDtype = '<f4' | '<f8' | '<i4' | '|i1' | '|u1' | '|b1' | `<U${number}`;

export interface NpyArray {
  dtype: NpyDtype;
  shape: readonly number[];
  /** Row-major (C order) data; strings for '<U…'. */
  data: Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array | readonly string[];
}

const textEncoder = new TextEncoder();

export function f32(data: ArrayLike<number>, shape: readonly number[] = [data.length]): NpyArray {
  return { dtype: '<f4', shape, data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

export function i32(data: ArrayLike<number>, shape: readonly number[] = [data.length]): NpyArray {
  return { dtype: '<i4', shape, data: data instanceof Int32Array ? data : Int32Array.from(data) };
}

export function i8(data: ArrayLike<number>, shape: readonly number[] = [data.length]): NpyArray {
  return { dtype: '|i1', shape, data: data instanceof Int8Array ? data : Int8Array.from(data) };
}

/** Fixed-width unicode strings ('<Un', n = the longest string in code points, at least 1). */
export function str(values: readonly string[], shape: readonly number[] = [values.length]): NpyArray {
  let width = 1;
  for (const v of values) width = Math.max(width, [...v].length);
  return { dtype: `<U${width}`, shape, data: values };
}

/** A JSON document as a 0-d string array: `json.loads(str(z["meta"]))` in Python. */
export function jsonScalar(value: unknown): NpyArray {
  return str([JSON.stringify(value)], []);
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function headerText(a: NpyArray): string {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  return `{'descr': '${a.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
}

/** One .npy file (format version 1.0: the header is padded so the data starts on a 64-byte boundary). */
export function npyBytes(a: NpyArray): Uint8Array {
  const n = count(a.shape);
  if (a.data.length !== n) throw new Error(`npy: ${a.data.length} values for shape (${a.shape.join(', ')}) = ${n}`);
  let header = headerText(a);
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const total = preamble + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('npy: header too long');
  const body = dataBytes(a);
  const out = new Uint8Array(preamble + header.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // "\x93NUMPY" v1.0
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(textEncoder.encode(header), preamble);
  out.set(body, preamble + header.length);
  return out;
}

function dataBytes(a: NpyArray): Uint8Array {
  if (a.dtype.startsWith('<U')) {
    const width = Number(a.dtype.slice(2));
    const out = new Uint8Array((a.data as readonly string[]).length * width * 4);
    const view = new DataView(out.buffer);
    (a.data as readonly string[]).forEach((s, i) => {
      let k = 0;
      for (const ch of s) {
        if (k >= width) break;
        view.setUint32((i * width + k) * 4, ch.codePointAt(0)!, true);
        k++;
      }
    });
    return out;
  }
  const t = a.data as Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;
  // Typed arrays are little-endian on every platform Loupe runs on (x86-64, arm64).
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO-HDLC, as ZIP uses). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An .npz archive: each array becomes `<name>.npy`, stored uncompressed. */
export function npzBytes(arrays: Record<string, NpyArray>): Uint8Array {
  const files = Object.entries(arrays).map(([name, a]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`npz: "${name}" is not a valid array name`);
    const data = npyBytes(a);
    return { name: textEncoder.encode(`${name}.npy`), data, crc: crc32(data) };
  });
  let size = 22;
  for (const f of files) size += 30 + f.name.length + f.data.length + 46 + f.name.length;
  if (size > 0xffffffff || files.length > 0xffff) throw new Error('npz: over 4 GiB or 65535 arrays (ZIP64 is not written)');
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  // DOS time 00:00:00, date 1980-01-01: the archive's bytes depend on its arrays only.
  const dosDate = (0 << 9) | (1 << 5) | 1;
  let p = 0;
  const offsets: number[] = [];
  for (const f of files) {
    offsets.push(p);
    v.setUint32(p, 0x04034b50, true);
    v.setUint16(p + 4, 20, true);
    v.setUint16(p + 6, 0, true);
    v.setUint16(p + 8, 0, true);
    v.setUint16(p + 10, 0, true);
    v.setUint16(p + 12, dosDate, true);
    v.setUint32(p + 14, f.crc, true);
    v.setUint32(p + 18, f.data.length, true);
    v.setUint32(p + 22, f.data.length, true);
    v.setUint16(p + 26, f.name.length, true);
    v.setUint16(p + 28, 0, true);
    out.set(f.name, p + 30);
    out.set(f.data, p + 30 + f.name.length);
    p += 30 + f.name.length + f.data.length;
  }
  const cdStart = p;
  files.forEach((f, i) => {
    v.setUint32(p, 0x02014b50, true);
    v.setUint16(p + 4, 20, true);
    v.setUint16(p + 6, 20, true);
    v.setUint16(p + 8, 0, true);
    v.setUint16(p + 10, 0, true);
    v.setUint16(p + 12, 0, true);
    v.setUint16(p + 14, dosDate, true);
    v.setUint32(p + 16, f.crc, true);
    v.setUint32(p + 20, f.data.length, true);
    v.setUint32(p + 24, f.data.length, true);
    v.setUint16(p + 28, f.name.length, true);
    v.setUint16(p + 30, 0, true);
    v.setUint16(p + 32, 0, true);
    v.setUint16(p + 34, 0, true);
    v.setUint16(p + 36, 0, true);
    v.setUint32(p + 38, 0, true);
    v.setUint32(p + 42, offsets[i], true);
    out.set(f.name, p + 46);
    p += 46 + f.name.length;
  });
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 4, 0, true);
  v.setUint16(p + 6, 0, true);
  v.setUint16(p + 8, files.length, true);
  v.setUint16(p + 10, files.length, true);
  v.setUint32(p + 12, p - cdStart, true);
  v.setUint32(p + 16, cdStart, true);
  v.setUint16(p + 20, 0, true);
  return out;
}
