// Where libvips (through sharp) decodes differently from PIL, the PIL result is produced here from the raw
// data sharp gives. Each function states PIL's arithmetic (Pillow's Convert.c / Paste.c) so the pixels are
// the ones the paper's scripts and transformers' load_image see.

/** PIL's DIV255: (a + 128 + ((a + 128) >> 8)) >> 8, exact division by 255 rounded to nearest. */
function div255(a: number): number {
  const t = a + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * CMYK (as PIL holds it after undoing Adobe's inversion, which libvips does too) to RGB by PIL's plain
 * formula, no colour management: nk = 255 - k, channel = nk - c * nk / 255 (rounded, clamped).
 */
export function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const nk = 255 - cmyk[p * 4 + 3];
    for (let c = 0; c < 3; c++) {
      const v = nk - div255(cmyk[p * 4 + c] * nk);
      out[p * 3 + c] = v < 0 ? 0 : v;
    }
  }
  return out;
}

/**
 * qwen_vl_utils' to_rgb for RGBA: paste onto a white RGB image through the alpha channel; Pillow blends
 * each byte as DIV255(white * (255 - a) + value * a).
 */
export function compositeOnWhite(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const a = rgba[p * 4 + 3];
    for (let c = 0; c < 3; c++) out[p * 3 + c] = div255(255 * (255 - a) + rgba[p * 4 + c] * a);
  }
  return out;
}

/** Drops the alpha byte of interleaved RGBA (PIL's convert("RGB")). */
export function dropAlpha(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[p * 3] = rgba[p * 4];
    out[p * 3 + 1] = rgba[p * 4 + 1];
    out[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return out;
}

/**
 * 16-bit greyscale (PIL mode I;16) to RGB as PIL's convert("RGB") does it: each value clamped to 255, so
 * everything above 255 (almost every pixel of a real 16-bit image) becomes white. Returns the share of
 * pixels that saturated, for the warning.
 */
export function saturate16(grey: Uint16Array, pixels: number): { rgb: Uint8Array; saturated: number } {
  const out = new Uint8Array(pixels * 3);
  let n = 0;
  for (let p = 0; p < pixels; p++) {
    let v = grey[p];
    if (v > 255) {
      v = 255;
      n++;
    }
    out[p * 3] = v;
    out[p * 3 + 1] = v;
    out[p * 3 + 2] = v;
  }
  return { rgb: out, saturated: n / Math.max(1, pixels) };
}

/**
 * A GIF's first frame: the colour PIL gives its transparent pixels. PIL keeps the frame as palette indices
 * and convert("RGB") maps the transparent index through the palette like any other; libvips returns them
 * as transparent black. Reads the header, global colour table, the first graphic control extension's
 * transparent index and the first image's local table. Undefined when the file has no transparency.
 */
export function gifTransparentColour(bytes: Uint8Array): [number, number, number] | undefined {
  if (bytes.length < 13 || String.fromCharCode(bytes[0], bytes[1], bytes[2]) !== 'GIF') return undefined;
  const flags = bytes[10];
  let pos = 13;
  let table: Uint8Array | undefined;
  if (flags & 0x80) {
    const size = 3 * (1 << ((flags & 7) + 1));
    table = bytes.subarray(pos, pos + size);
    pos += size;
  }
  let transparent: number | undefined;
  while (pos < bytes.length) {
    const block = bytes[pos];
    if (block === 0x21) {
      const label = bytes[pos + 1];
      pos += 2;
      if (label === 0xf9 && bytes[pos] >= 4 && bytes[pos + 1] & 1) transparent = bytes[pos + 4];
      // Skip the extension's sub-blocks.
      while (pos < bytes.length && bytes[pos] !== 0) pos += bytes[pos] + 1;
      pos += 1;
    } else if (block === 0x2c) {
      const local = bytes[pos + 9];
      if (local & 0x80) table = bytes.subarray(pos + 10, pos + 10 + 3 * (1 << ((local & 7) + 1)));
      break;
    } else {
      break;
    }
  }
  if (transparent === undefined || !table || transparent * 3 + 2 >= table.length) return undefined;
  return [table[transparent * 3], table[transparent * 3 + 1], table[transparent * 3 + 2]];
}

/** RGBA from a GIF to PIL's RGB: opaque pixels as they are, fully transparent ones in the palette's colour. */
export function gifToRgb(rgba: Uint8Array, pixels: number, colour: [number, number, number]): Uint8Array {
  const out = dropAlpha(rgba, pixels);
  for (let p = 0; p < pixels; p++) {
    if (rgba[p * 4 + 3] !== 0) continue;
    out[p * 3] = colour[0];
    out[p * 3 + 1] = colour[1];
    out[p * 3 + 2] = colour[2];
  }
  return out;
}
