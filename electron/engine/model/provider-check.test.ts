import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProvider, onnxruntimeBinDir } from './provider-check.js';
import { createSessions } from './providers.js';

const savedPath = process.env.LD_LIBRARY_PATH;
afterEach(() => {
  if (savedPath === undefined) delete process.env.LD_LIBRARY_PATH;
  else process.env.LD_LIBRARY_PATH = savedPath;
});

describe('provider checks', () => {
  it('cpu is always usable', () => {
    expect(checkProvider('cpu')).toEqual({ provider: 'cpu', usable: true });
  });

  it("cuda is unusable without onnxruntime-node's CUDA library, and says how to install it", () => {
    const dir = onnxruntimeBinDir();
    expect(dir).toBeDefined();
    const check = checkProvider('cuda');
    // This machine (and CI) installs onnxruntime-node without its CUDA binaries.
    expect(check.usable).toBe(false);
    expect(check.reason).toMatch(/libonnxruntime_providers_cuda\.so/);
    expect(check.fix).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it.runIf(process.platform === 'linux')('webgpu follows the presence of a Vulkan loader on the library path', () => {
    const withLoader = mkdtempSync(join(tmpdir(), 'loupe-vk-'));
    writeFileSync(join(withLoader, 'libvulkan.so.1'), '');
    process.env.LD_LIBRARY_PATH = withLoader;
    expect(checkProvider('webgpu').usable).toBe(true);
    // Without the folder: usable only where the machine has a loader; otherwise it says what to install.
    const check = checkProviderWithoutPath();
    expect(check.usable || (/libvulkan\.so\.1/.test(check.reason ?? '') && /libvulkan1/.test(check.fix ?? ''))).toBe(true);
  });

  it("an explicit GPU choice that cannot run fails with Loupe's reason before any session is tried", async () => {
    const check = checkProvider('cuda');
    expect(check.usable).toBe(false);
    await expect(createSessions({ x: '/nonexistent.onnx' }, 'cuda')).rejects.toThrow(
      /cuda execution provider cannot run here: .*not installed.*Or choose auto or cpu/,
    );
  });
});

function checkProviderWithoutPath() {
  process.env.LD_LIBRARY_PATH = '';
  return checkProvider('webgpu');
}
