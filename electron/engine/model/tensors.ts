// Small numeric helpers over onnxruntime tensor data: float16 decoding (Node 20 has no Float16Array, so
// onnxruntime hands half-precision outputs over as raw Uint16 bits), greedy choice and softmax probability.

type FloatLike = Float32Array | Float64Array | Uint16Array | ArrayLike<number>;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A float view of tensor data; float16 bits (Uint16Array with type 'float16') are decoded. */
export function asFloat32(data: unknown, type: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (type === 'float16' && data instanceof Uint16Array) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = halfToFloat(data[i]);
    return out;
  }
  if (ArrayBuffer.isView(data) || Array.isArray(data)) return Float32Array.from(data as FloatLike);
  throw new TypeError(`Expected a float tensor, got ${type}.`);
}

/** Greedy choice: the first index of the maximum (ties go to the lower id, so runs are reproducible). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (row[i] > bestV) {
      bestV = row[i];
      best = i;
    }
  }
  return best;
}

/** softmax(row)[index], computed stably in double precision. */
export function softmaxAt(row: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return Math.exp(row[index] - max) / sum;
}
