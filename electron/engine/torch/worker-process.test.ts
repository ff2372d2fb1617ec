import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deathCause, locatePython, projectRoot, TorchWorker } from './worker-process.js';

const nativeModels = join(projectRoot(), 'native-models');

describe('the PyTorch worker process', () => {
  it('a missing venv is named with the command that creates it', async () => {
    const w = new TorchWorker({ python: '/nonexistent/venv/bin/python', nativeModels, source: 'LOUPE_VENV' });
    await expect(w.start()).rejects.toThrow(/\/nonexistent\/venv\/bin\/python \(LOUPE_VENV\).*native-models\/setup-venv\.sh/);
  });

  // A Python without torch (the system's, when it has none): the worker names every missing package.
  const system = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
  it.runIf(system !== undefined)(
    'a Python without the packages says exactly which are missing',
    async () => {
      const w = new TorchWorker({ python: system ?? '', nativeModels, source: 'LOUPE_PYTHON' });
      const started = w.start().then(
        () => 'started',
        (err: Error) => err.message,
      );
      const message = await started;
      // When that Python happens to have everything, it starts: then there is nothing to report.
      if (message !== 'started') expect(message).toMatch(/cannot start: .* lacks (torch|numpy).*setup-venv\.sh/);
      await w.stop();
    },
    60_000,
  );

  it('death causes: SIGKILL reads as the out-of-memory killer, an exit code keeps the stderr tail', () => {
    expect(deathCause(null, 'SIGKILL', '')).toMatch(/SIGKILL.*out-of-memory killer.*--max-pixels.*bf16/);
    expect(deathCause(1, null, 'Traceback\nValueError: boom')).toMatch(/exited with code 1[\s\S]*ValueError: boom/);
  });

  it('LOUPE_PYTHON wins over LOUPE_VENV, which wins over the project venv', () => {
    expect(locatePython({ LOUPE_PYTHON: '/x/python', LOUPE_VENV: '/v' }).python).toBe('/x/python');
    expect(locatePython({ LOUPE_VENV: '/v' }).python).toBe('/v/bin/python');
    expect(locatePython({}).python).toBe(join(projectRoot(), '.venv', 'bin', 'python'));
  });
});
