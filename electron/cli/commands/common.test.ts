import { describe, expect, it } from 'vitest';
import type { EngineClient } from '../../contract/api.js';
import type { ModelInfo, ParityStatus } from '../../contract/types.js';
import type { CliIo } from '../io.js';
import { pickModel } from './common.js';

function model(parity?: ParityStatus): ModelInfo {
  return {
    id: '/m',
    name: 'm',
    dir: '/m',
    family: 'qwen2_vl',
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    defaultLayer: 3,
    hash: 'h',
    bundled: false,
    issues: [],
    ...(parity ? { parity } : {}),
  };
}

function run(info: ModelInfo): Promise<{ err: string; picked: ModelInfo }> {
  let err = '';
  const io: CliIo = { out: () => {}, err: (t) => void (err += t), isTTY: false, columns: 80, cwd: '/', env: {} };
  const client = { call: async () => [info], onEvent: () => () => {} } as unknown as EngineClient;
  return pickModel(client, io, 'm').then((picked) => ({ err, picked }));
}

describe('pickModel: the exporter parity warning on stderr', () => {
  it('warns when the package has no passing parity record, and still returns the model', async () => {
    const warning = 'Model m has no exporter parity record (loupe.json "parity"): ...';
    const { err, picked } = await run(model({ state: 'missing', warning }));
    expect(picked.id).toBe('/m');
    expect(err).toBe(`warning: ${warning}\n`);
  });

  it('is silent for a passing record', async () => {
    const { err } = await run(model({ state: 'passed' }));
    expect(err).toBe('');
  });
});
