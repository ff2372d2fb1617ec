// Image helpers: object URLs for bytes the engine sends, and the bytes of a file the user opens.
export function bytesToUrl(bytes: Uint8Array, mime: string): string {
  // Copy into a fresh ArrayBuffer: the transport may hand us a view into a larger (or shared) buffer.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return URL.createObjectURL(new Blob([copy.buffer], { type: mime }));
}

export async function fileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
