// Wire messages shared by every transport (WebSocket, Electron IPC, worker threads) and the binary
// codec used where the channel only carries bytes (the web mode's WebSocket).
// Browser-safe: no Node imports (the renderer bundles this file), no Buffer.
//
// Why a binary frame instead of JSON + base64: attention maps are tens of MB of Float32; base64 costs
// +33% size and a full string pass on both ends. A frame is a small JSON header in which every typed
// array is replaced by a reference into a trailing byte section, so the bulk data is copied once.
import type { EngineErrorPayload, EngineEvent, MethodName } from '../contract/api.js';
import { isMethodName } from '../contract/methods.js';

export type RequestId = number;

export interface RequestMessage {
  type: 'request';
  id: RequestId;
  method: MethodName;
  params: unknown;
}

/** Asks the peer to abort the request with this id (the client side of an AbortSignal). */
export interface CancelMessage {
  type: 'cancel';
  id: RequestId;
}

export type ResponseMessage =
  | { type: 'response'; id: RequestId; ok: true; result: unknown }
  | { type: 'response'; id: RequestId; ok: false; error: EngineErrorPayload };

export interface EventMessage {
  type: 'event';
  event: EngineEvent;
}

/** Sent once by the engine side when the peer is accepted (after the token check, after engine start-up). */
export interface HelloMessage {
  type: 'hello';
  protocol: typeof PROTOCOL_VERSION;
}

export const PROTOCOL_VERSION = 1;

export type ClientMessage = RequestMessage | CancelMessage;
export type ServerMessage = ResponseMessage | EventMessage | HelloMessage;
export type WireMessage = ClientMessage | ServerMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks a message from an untrusted peer (browser, renderer). Returns a reason when it is malformed. */
export function parseClientMessage(value: unknown): ClientMessage | string {
  if (!isRecord(value)) return 'message is not an object';
  if (!isRequestId(value.id)) return 'message id must be a non-negative integer';
  if (value.type === 'cancel') return { type: 'cancel', id: value.id };
  if (value.type !== 'request') return `unknown message type ${JSON.stringify(value.type)}`;
  if (!isMethodName(value.method)) return `unknown method ${JSON.stringify(value.method)}`;
  if (!isRecord(value.params)) return `params of ${value.method} must be an object`;
  return { type: 'request', id: value.id, method: value.method, params: value.params };
}

/** Checks a message from the engine side. The engine is trusted, so this only guards against version skew. */
export function parseServerMessage(value: unknown): ServerMessage | string {
  if (!isRecord(value)) return 'message is not an object';
  if (value.type === 'hello') {
    if (value.protocol !== PROTOCOL_VERSION)
      return `engine speaks protocol ${String(value.protocol)}, this client ${PROTOCOL_VERSION}: reload the page`;
    return { type: 'hello', protocol: PROTOCOL_VERSION };
  }
  if (value.type === 'event') {
    if (!isRecord(value.event) || typeof value.event.type !== 'string') return 'event message without an event';
    return value as unknown as EventMessage;
  }
  if (value.type !== 'response' || !isRequestId(value.id)) return 'unknown message from the engine';
  if (value.ok === true) return { type: 'response', id: value.id, ok: true, result: value.result };
  if (!isRecord(value.error) || typeof value.error.message !== 'string') return 'error response without an error';
  return { type: 'response', id: value.id, ok: false, error: value.error as unknown as EngineErrorPayload };
}

// ---- binary codec ----------------------------------------------------------------------------------

type TypedArray =
  Float32Array | Float64Array | Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

type TypedArrayCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray; BYTES_PER_ELEMENT: number };

const TAGS: ReadonlyArray<[string, TypedArrayCtor]> = [
  ['f32', Float32Array],
  ['f64', Float64Array],
  ['u8', Uint8Array],
  ['u8c', Uint8ClampedArray],
  ['i8', Int8Array],
  ['u16', Uint16Array],
  ['i16', Int16Array],
  ['u32', Uint32Array],
  ['i32', Int32Array],
];

const CTOR_BY_TAG = new Map<string, TypedArrayCtor>(TAGS);

function tagOf(value: TypedArray): string {
  // Node's Buffer is a Uint8Array subclass: it travels as a plain Uint8Array.
  for (const [tag, ctor] of TAGS) if (value instanceof (ctor as unknown as typeof Uint8Array)) return tag;
  throw new Error(`cannot encode ${Object.prototype.toString.call(value)}`);
}

/** Keys are unusual on purpose: a real contract object never has them. */
const TA_KEY = '__loupe_ta';
const NUM_KEY = '__loupe_num';
const MAGIC = 0x3145504c; // "LPE1" little-endian
const ALIGN = 8;

const pad = (n: number): number => (n + ALIGN - 1) & ~(ALIGN - 1);

/** Encodes a message as one binary frame: [magic u32][jsonLength u32][json][pad][blobs, each 8-aligned]. */
export function encodeMessage(message: WireMessage): Uint8Array {
  const blobs: TypedArray[] = [];
  let blobBytes = 0;
  const json = JSON.stringify(message, function replacer(this: Record<string, unknown>, key: string, converted: unknown) {
    // Read the holder's original value: Node's Buffer has a toJSON that runs before the replacer.
    const value = this[key];
    if (typeof value === 'number' && !Number.isFinite(value)) return { [NUM_KEY]: String(value) };
    if (typeof value === 'bigint') throw new Error('bigint values cannot cross the engine transport');
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const array = value as TypedArray;
      const ref = { [TA_KEY]: tagOf(array), o: blobBytes, n: array.length };
      blobs.push(array);
      blobBytes = pad(blobBytes + array.byteLength);
      return ref;
    }
    return converted;
  });
  const header = new TextEncoder().encode(json);
  const blobStart = pad(8 + header.byteLength);
  const out = new Uint8Array(blobStart + blobBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let offset = blobStart;
  for (const array of blobs) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset = pad(offset + array.byteLength);
  }
  return out;
}

/** Decodes a frame from `encodeMessage`. Typed arrays come back as views when aligned, else as copies. */
export function decodeMessage(data: ArrayBuffer | Uint8Array): unknown {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < 8) throw new Error('frame too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not a Loupe frame (bad magic): is the client from another version?');
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > bytes.byteLength) throw new Error('frame header longer than the frame');
  const blobStart = pad(8 + jsonLength);
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength));
  return JSON.parse(json, function reviver(_key, value: unknown) {
    if (typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    if (typeof record[NUM_KEY] === 'string') return Number(record[NUM_KEY]);
    const tag = record[TA_KEY];
    if (typeof tag !== 'string') return value;
    const ctor = CTOR_BY_TAG.get(tag);
    const o = record.o;
    const n = record.n;
    if (!ctor || typeof o !== 'number' || typeof n !== 'number' || !Number.isSafeInteger(o) || !Number.isSafeInteger(n) || o < 0 || n < 0) {
      throw new Error(`bad typed-array reference in frame: ${JSON.stringify(record)}`);
    }
    const start = bytes.byteOffset + blobStart + o;
    const byteLength = n * ctor.BYTES_PER_ELEMENT;
    if (blobStart + o + byteLength > bytes.byteLength) throw new Error('typed array runs past the end of the frame');
    if (start % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer as ArrayBuffer, start, n);
    // Unaligned (e.g. a Node Buffer from a shared pool): copy into a fresh, aligned buffer.
    // (Not `bytes.slice`: on a Buffer that is a view, not a copy.)
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(blobStart + o, blobStart + o + byteLength));
    return new ctor(copy.buffer, 0, n);
  });
}
