// Image helpers: object URLs for bytes the engine sends, and natural sizes of what the user opens.
export function bytesToUrl(bytes: Uint8Array, mime: string): string {
  // Copy into a fresh ArrayBuffer: the transport may hand us a view into a larger (or shared) buffer.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return URL.createObjectURL(new Blob([copy.buffer], { type: mime }));
}

export function naturalSize(url: string): Promise<{ width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => reject(new Error('This file is not an image the browser can decode (use JPEG, PNG or WebP).'));
    img.src = url;
  });
}

export async function fileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
