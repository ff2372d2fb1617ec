// Recognises an image file by its first bytes, so that opening a bench can name rows whose image is not
// an image at all (a truncated download, an HTML error page saved as .jpg) without decoding anything.
// Truncated images with a good header still load here and fail when the view runs (the record says so).

const SIGNATURES: { format: string; test: (b: Uint8Array) => boolean }[] = [
  { format: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { format: 'png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { format: 'gif', test: (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 },
  { format: 'webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { format: 'bmp', test: (b) => b[0] === 0x42 && b[1] === 0x4d },
  { format: 'tiff', test: (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*' },
  { format: 'avif/heif', test: (b) => ascii(b, 4, 8) === 'ftyp' },
];

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

/** The image format the bytes start with, or undefined. */
export function sniffImage(bytes: Uint8Array): string | undefined {
  if (bytes.length < 12) return undefined;
  return SIGNATURES.find((s) => s.test(bytes))?.format;
}

/** Why bytes are not an image, for a row issue ("empty (0 bytes)", "starts with 74 68 69 73: ..."). */
export function notAnImageReason(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'empty (0 bytes)';
  if (sniffImage(bytes)) return undefined;
  const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `not an image: it starts with bytes ${head}, not a JPEG, PNG, WebP, GIF, BMP, TIFF or AVIF header`;
}
