import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyPath } from './classify.js';
import { ShellStateStore } from './state-store.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'loupe-shell-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ShellStateStore', () => {
  it('remembers window bounds and recent files across instances', () => {
    const file = join(tmp(), 'state.json');
    const a = new ShellStateStore(file);
    expect(a.window).toEqual({ width: 1280, height: 800, maximized: false });
    a.setWindow({ x: 10, y: 20, width: 1500, height: 900, maximized: true });
    a.addRecent('image', '/data/a.jpg');
    a.addRecent('model', '/models/m');
    a.addRecent('image', '/data/a.jpg');
    const b = new ShellStateStore(file);
    expect(b.window).toEqual({ x: 10, y: 20, width: 1500, height: 900, maximized: true });
    expect(b.recent.map((e) => e.path)).toEqual(['/data/a.jpg', '/models/m']);
  });

  it('keeps at most 12 recent entries', () => {
    const s = new ShellStateStore(join(tmp(), 'state.json'));
    for (let i = 0; i < 20; i++) s.addRecent('image', `/img/${i}.png`);
    expect(s.recent).toHaveLength(12);
    expect(s.recent[0].path).toBe('/img/19.png');
  });

  it('sets a damaged file aside and starts fresh', () => {
    const d = tmp();
    const file = join(d, 'state.json');
    writeFileSync(file, '{ not json');
    const s = new ShellStateStore(file);
    expect(s.recent).toEqual([]);
    expect(existsSync(`${file}.broken`)).toBe(true);
    s.addRecent('bench', '/b.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).recent[0].path).toBe('/b.json');
  });

  it('drops malformed entries and tiny windows', () => {
    const file = join(tmp(), 'state.json');
    writeFileSync(
      file,
      JSON.stringify({
        window: { width: 10, height: 'x' },
        recent: [
          { kind: 'virus', path: '/x', openedAt: '' },
          { kind: 'image', path: '/ok.png', openedAt: 't' },
        ],
      }),
    );
    const s = new ShellStateStore(file);
    expect(s.window.width).toBe(640);
    expect(s.window.height).toBe(800);
    expect(s.recent.map((e) => e.path)).toEqual(['/ok.png']);
  });
});

describe('classifyPath', () => {
  it('recognises images, model folders and benchmarks, and refuses the rest', () => {
    const d = tmp();
    writeFileSync(join(d, 'a.JPG'), 'x');
    writeFileSync(join(d, 'notes.txt'), 'x');
    mkdirSync(join(d, 'model', 'onnx'), { recursive: true });
    writeFileSync(join(d, 'model', 'config.json'), '{}');
    mkdirSync(join(d, 'bench'));
    writeFileSync(join(d, 'bench', 'test.json'), '[]');
    mkdirSync(join(d, 'hf'));
    writeFileSync(join(d, 'hf', 'config.json'), '{}');
    writeFileSync(join(d, 'hf', 'model-00001-of-00002.safetensors'), 'x');
    mkdirSync(join(d, 'configonly'));
    writeFileSync(join(d, 'configonly', 'config.json'), '{}');
    expect(classifyPath(join(d, 'a.JPG'))).toBe('image');
    expect(classifyPath(join(d, 'model'))).toBe('model');
    expect(classifyPath(join(d, 'hf'))).toBe('model'); // a Hugging Face checkpoint (PyTorch engine)
    expect(classifyPath(join(d, 'configonly'))).toBeNull();
    expect(classifyPath(join(d, 'bench'))).toBe('bench');
    expect(classifyPath(join(d, 'notes.txt'))).toBeNull();
    expect(classifyPath(join(d, 'missing.png'))).toBeNull();
  });
});
