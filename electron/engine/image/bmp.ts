// A small BMP reader: libvips (as sharp ships it) has no BMP loader, and PIL reads BMP, so the paper's and
// transformers' pipelines accept it. Uncompressed 1/4/8-bit palette, 24-bit and 32-bit (BI_RGB, or
// BI_BITFIELDS with the usual 8-bit masks) are read, bottom-up or top-down, to RGB as PIL's
// convert("RGB") gives them (32-bit BMPs' fourth byte is padding to PIL unless it is an alpha mask, which
// is dropped here either way). RLE-compressed files are refused with a message saying so.

export interface BmpImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length > 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Header fields only: width and height, without decoding (the pixel guard runs before decoding). */
export function bmpSize(bytes: Uint8Array): { width: number; height: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = v.getUint32(14, true);
  if (headerSize === 12) return { width: v.getUint16(18, true), height: v.getUint16(20, true) };
  return { width: v.getInt32(18, true), height: Math.abs(v.getInt32(22, true)) };
}

export function decodeBmp(bytes: Uint8Array): BmpImage {
  if (bytes.length < 54) throw new Error('BMP file is shorter than its headers (truncated)');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40) throw new Error(`BMP header of ${headerSize} bytes (OS/2 1.x) is not supported; save it as PNG`);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  if (width <= 0 || height === 0) throw new Error(`BMP header gives ${width}x${height}`);
  if (compression !== 0 && !(compression === 3 && (bpp === 32 || bpp === 16))) {
    throw new Error(`BMP compression ${compression} (RLE) is not supported; save it as PNG`);
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) throw new Error(`${bpp}-bit BMP is not supported; save it as PNG`);
  if (compression === 3) {
    const masks = { r: v.getUint32(54, true), g: v.getUint32(58, true), b: v.getUint32(62, true) };
    const standard = masks.r === 0x00ff0000 && masks.g === 0x0000ff00 && masks.b === 0x000000ff;
    if (!standard) throw new Error('BMP with non-standard bit masks is not supported; save it as PNG');
  }
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const colours = v.getUint32(46, true) || 1 << bpp;
    palette = bytes.subarray(14 + headerSize, 14 + headerSize + colours * 4);
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw new Error('BMP pixel data is shorter than its header says (truncated)');
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (bpp >= 24) {
        const p = row + x * (bpp / 8);
        rgb[o] = bytes[p + 2];
        rgb[o + 1] = bytes[p + 1];
        rgb[o + 2] = bytes[p];
      } else {
        const bit = x * bpp;
        const idx = (bytes[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const pal = palette as Uint8Array;
        rgb[o] = pal[idx * 4 + 2] ?? 0;
        rgb[o + 1] = pal[idx * 4 + 1] ?? 0;
        rgb[o + 2] = pal[idx * 4] ?? 0;
      }
    }
  }
  return { width, height, rgb };
}
