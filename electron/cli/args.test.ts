import { describe, expect, it } from 'vitest';
import { parseBox, parseCommand, parseLayers, parseShard, parseViews } from './args.js';
import { parseInspectArgs } from './commands/inspect.js';
import { parseServeArgs } from './commands/serve.js';
import { CliError, EXIT } from './exit-codes.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    return (err as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('value parsers', () => {
  it('parses boxes and refuses malformed or empty ones', () => {
    expect(parseBox('10,20,110,220.5')).toEqual([10, 20, 110, 220.5]);
    expect(parseBox(undefined)).toBeUndefined();
    expect(usage(() => parseBox('1,2,3'))).toMatch(/four numbers/);
    expect(usage(() => parseBox('5,5,5,9'))).toMatch(/x2 > x1/);
    expect(usage(() => parseBox('a,b,c,d'))).toMatch(/--box/);
  });

  it('parses shards i/n', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(usage(() => parseShard('4/4'))).toMatch(/0 <= i < n/);
    expect(usage(() => parseShard('1of4'))).toMatch(/--shard/);
  });

  it('parses layer lists with ranges, 1-based', () => {
    expect(parseLayers('1,4,20-22')).toEqual([1, 4, 20, 21, 22]);
    expect(parseLayers('all')).toEqual([]);
    expect(parseLayers(undefined)).toEqual([]);
    expect(usage(() => parseLayers('0'))).toMatch(/1-based/);
    expect(usage(() => parseLayers('5-2'))).toMatch(/bad range/);
  });

  it('parses views', () => {
    expect(parseViews(undefined)).toEqual(['global', 'regional']);
    expect(parseViews('global')).toEqual(['global']);
    expect(usage(() => parseViews('crop'))).toMatch(/global and\/or regional/);
  });

  it('turns unknown options into usage errors that name the command', () => {
    expect(usage(() => parseCommand('bench', ['--frobnicate'], {}))).toMatch(/loupe bench: .*frobnicate/);
  });
});

describe('command argument parsing', () => {
  it('inspect: image, question, box, defaults', () => {
    const a = parseInspectArgs(['img.jpg', 'What is written on the sign?', '--box', '1,2,30,40', '--layer', '3', '--json'], '/data');
    expect(a.image).toBe('/data/img.jpg');
    expect(a.question).toBe('What is written on the sign?');
    expect(a.box).toEqual([1, 2, 30, 40]);
    expect(a.layer).toBe(3);
    expect(a.json).toBe(true);
    expect(a.maxNewTokens).toBe(16);
    expect(a.provider).toBe('auto');
    expect(usage(() => parseInspectArgs(['img.jpg'], '/'))).toMatch(/IMAGE and QUESTION/);
    expect(usage(() => parseInspectArgs(['a', 'b', '--provider', 'tpu'], '/'))).toMatch(/--provider/);
  });

  it('serve: repeatable paths resolved against the cwd', () => {
    const s = parseServeArgs(['--model', 'm1', '--model', '/abs/m2', '--bench', 'b.json', '--port', '8080'], '/home/r');
    expect(s.models).toEqual(['/home/r/m1', '/abs/m2']);
    expect(s.benches).toEqual(['/home/r/b.json']);
    expect(s.port).toBe(8080);
    expect(usage(() => parseServeArgs(['stray'], '/'))).toMatch(/no positional/);
  });
});
