// Whether an onnxruntime execution provider can run on this machine, decided from files on disk
// before any session is created. Creating a session on a provider whose libraries are missing makes
// onnxruntime (and Dawn, for WebGPU) print their own error lines to stderr; checking first keeps
// `auto` quiet and lets Loupe say in its own words what is missing and how to fix it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ProviderName } from '../../contract/types.js';

export interface ProviderCheck {
  provider: ProviderName;
  usable: boolean;
  /** Why it cannot run here (absent when usable). */
  reason?: string;
  /** What to do about it. */
  fix?: string;
}

/** The folder of onnxruntime-node's native binding, where its provider libraries must sit. */
export function onnxruntimeBinDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    const dir = join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const CUDA_FIX =
  "Install onnxruntime-node's CUDA 12 libraries (network access, CUDA 12 and cuDNN 9 on the machine): " +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`, then restart Loupe.';

function checkCuda(binDir: string | undefined): ProviderCheck {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return { provider: 'cuda', usable: false, reason: `onnxruntime-node has no CUDA provider for ${process.platform}`, fix: 'Use cpu.' };
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!binDir || !existsSync(join(binDir, lib))) {
    return { provider: 'cuda', usable: false, reason: `onnxruntime-node's CUDA provider library (${lib}) is not installed`, fix: CUDA_FIX };
  }
  return { provider: 'cuda', usable: true };
}

const VULKAN_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
  '/lib/x86_64-linux-gnu',
];

function checkWebgpu(): ProviderCheck {
  // onnxruntime-node's WebGPU provider runs on Dawn: Vulkan on Linux, D3D12 on Windows, Metal on macOS.
  if (process.platform !== 'linux') return { provider: 'webgpu', usable: true };
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...VULKAN_DIRS];
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return { provider: 'webgpu', usable: true };
  return {
    provider: 'webgpu',
    usable: false,
    reason: 'no Vulkan loader (libvulkan.so.1) is installed, and WebGPU on Linux runs on Vulkan',
    fix: "Install the Vulkan loader and your GPU driver's Vulkan support (Debian: `apt-get install libvulkan1 mesa-vulkan-drivers`).",
  };
}

export function checkProvider(provider: ProviderName): ProviderCheck {
  if (provider === 'cpu') return { provider, usable: true };
  if (provider === 'cuda') return checkCuda(onnxruntimeBinDir());
  return checkWebgpu();
}
