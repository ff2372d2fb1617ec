import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverModels, findPackageDirs, type DiscoveryCache } from './discover.js';
import { writePackageDouble } from './testing/package-double.js';

describe('model discovery', () => {
  it('finds packages in a folder of packages, follows symlinks, and accepts a package folder itself', async () => {
    const root = mkdtempSync(join(tmpdir(), 'loupe-models-'));
    renameSync(writePackageDouble(), join(root, 'a'));
    symlinkSync(writePackageDouble(), join(root, 'b-link'));
    mkdirSync(join(root, 'not-a-model'));
    writeFileSync(join(root, 'notes.txt'), 'x');
    expect(await findPackageDirs(root)).toEqual([join(root, 'a'), join(root, 'b-link')]);
    expect(await findPackageDirs(join(root, 'a'))).toEqual([join(root, 'a')]);
    expect(await findPackageDirs(join(root, 'missing'))).toEqual([]);
  });

  it('lists broken packages with their issues, and re-validates only what changed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'loupe-models-'));
    renameSync(writePackageDouble(), join(root, 'good'));
    renameSync(writePackageDouble({ rename: (_s, _k, n) => (n.startsWith('decoder_attentions') ? null : n) }), join(root, 'untapped'));
    const cache: DiscoveryCache = new Map();
    const first = await discoverModels([{ dir: root, bundled: true }], cache);
    expect(first.map((m) => [m.name, m.issues.length, m.bundled])).toEqual([
      ['good', 0, true],
      ['untapped', 1, true],
    ]);
    const again = await discoverModels([{ dir: root, bundled: true }], cache);
    expect(again[0]).toBe(first[0]);
    writeFileSync(join(root, 'good', 'loupe.json'), JSON.stringify({ name: 'renamed' }));
    const changed = await discoverModels([{ dir: root, bundled: true }], cache);
    expect(changed[0].name).toBe('renamed');
    expect(changed[1]).toBe(first[1]);
  });
});
