// The WebAssembly kernels' module and memory, shared by the resize (resample-wasm.ts) and the patch order
// (patchify-wasm.ts): assembled and compiled once per process at first use, one instance with one growing
// memory, dropped after a call that left it over KEEP_BYTES (a very large image) so that it is not held.
import { patchOrderFn, planesFn } from './patch-kernels.js';
import { GROUP, horizontalFn, verticalFn } from './resample-kernels.js';
import { assemble } from './wasm-asm.js';

/** Spare bytes after every buffer: the kernels read and write up to 15 bytes past a row. */
const SLACK = 32;
const KEEP_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;

type Kernel = (...args: number[]) => void;
export interface Kernels {
  memory: WebAssembly.Memory;
  horizontal1: Kernel;
  horizontalGroup: Kernel;
  vertical: Kernel;
  planes: Kernel;
  patchOrder: Kernel;
}

let module: WebAssembly.Module | null | undefined;
let kernels: Kernels | undefined;

/** The compiled module, or null where the runtime has no WebAssembly SIMD. */
function compiled(): WebAssembly.Module | null {
  if (module === undefined) {
    const bytes = assemble([horizontalFn(1), horizontalFn(GROUP), verticalFn, planesFn, patchOrderFn]);
    module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return module;
}

/** The kernels with at least `bytes` of memory, or undefined without WebAssembly SIMD. */
export function wasmKernels(bytes: number): Kernels | undefined {
  const mod = compiled();
  if (!mod) return undefined;
  if (!kernels) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const exp = new WebAssembly.Instance(mod, { env: { memory } }).exports as Record<string, Kernel>;
    kernels = {
      memory,
      horizontal1: exp['horizontal1'],
      horizontalGroup: exp[`horizontal${GROUP}`],
      vertical: exp['vertical'],
      planes: exp['planes'],
      patchOrder: exp['patchOrder'],
    };
  }
  const have = kernels.memory.buffer.byteLength;
  if (have < bytes) kernels.memory.grow(Math.ceil((bytes - have) / PAGE));
  return kernels;
}

/** Called after each use: a memory grown past KEEP_BYTES is let go (the next call starts a small one). */
export function release(): void {
  if (kernels && kernels.memory.buffer.byteLength > KEEP_BYTES) kernels = undefined;
}

/** Hands out 16-byte-aligned regions of the wasm memory, each followed by SLACK spare bytes. */
export class Layout {
  size = 0;
  take(bytes: number): number {
    const at = this.size;
    // Arithmetic, not `& ~15`, which would wrap at 2 GiB.
    this.size = Math.ceil((at + bytes + SLACK) / 16) * 16;
    return at;
  }
}
