// Frames between the engine and the PyTorch worker (native-models/loupe_worker/wire.py is the other side):
// 4 bytes little-endian header length, the header as UTF-8 JSON, then the binary blobs the header lists in
// `blobs` ([{name, dtype, shape, nbytes}], in order). Attention maps travel as raw little-endian float32.

export type BlobDtype = 'float32' | 'uint8' | 'int64';

export interface Blob {
  dtype: BlobDtype;
  shape: number[];
  data: Float32Array | Uint8Array | BigInt64Array;
}

export interface BlobHeader {
  name: string;
  dtype: BlobDtype;
  shape: number[];
  nbytes: number;
}

export type FrameHeader = Record<string, unknown> & { blobs?: BlobHeader[] };

export interface Frame {
  header: FrameHeader;
  blobs: Record<string, Blob>;
}

const ITEM: Record<BlobDtype, number> = { float32: 4, uint8: 1, int64: 8 };

export function encodeFrame(header: Record<string, unknown>, blobs: Record<string, Blob> = {}): Buffer {
  const listed: BlobHeader[] = [];
  const parts: Buffer[] = [];
  for (const [name, b] of Object.entries(blobs)) {
    const bytes = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    listed.push({ name, dtype: b.dtype, shape: b.shape, nbytes: bytes.length });
    parts.push(bytes);
  }
  const head = Buffer.from(JSON.stringify({ ...header, blobs: listed }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length, 0);
  return Buffer.concat([len, head, ...parts]);
}

function toArray(dtype: BlobDtype, bytes: Buffer): Blob['data'] {
  // A copy into a fresh, aligned buffer: typed arrays need their element alignment.
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  if (dtype === 'float32') return new Float32Array(copy);
  if (dtype === 'int64') return new BigInt64Array(copy);
  return new Uint8Array(copy);
}

/** Accumulates stdout chunks and yields every complete frame. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 4) break;
      const headLen = this.buf.readUInt32LE(0);
      if (this.buf.length < 4 + headLen) break;
      const header = JSON.parse(this.buf.subarray(4, 4 + headLen).toString('utf8')) as FrameHeader;
      const listed = header.blobs ?? [];
      const total = listed.reduce((s, b) => s + b.nbytes, 4 + headLen);
      if (this.buf.length < total) break;
      const blobs: Record<string, Blob> = {};
      let at = 4 + headLen;
      for (const b of listed) {
        if (b.nbytes !== b.shape.reduce((p, d) => p * d, 1) * ITEM[b.dtype]) {
          throw new Error(`worker frame: blob ${b.name} has ${b.nbytes} bytes, not shape ${b.shape.join('x')} of ${b.dtype}`);
        }
        blobs[b.name] = { dtype: b.dtype, shape: b.shape, data: toArray(b.dtype, this.buf.subarray(at, at + b.nbytes)) };
        at += b.nbytes;
      }
      frames.push({ header, blobs });
      this.buf = this.buf.subarray(total);
    }
    return frames;
  }
}
