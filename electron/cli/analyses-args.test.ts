import { describe, expect, it } from 'vitest';
import { ANALYSES_OPTIONS, forModel, parseAnalyses } from './analyses-args.js';
import { parseCommand } from './args.js';

const parse = (argv: string[]) => parseAnalyses(parseCommand('inspect', argv, ANALYSES_OPTIONS));

describe('analysis options', () => {
  it('are absent unless asked for, with defaults left to the engine', () => {
    expect(parse([])).toEqual({});
    expect(parse(['--self-zoom', '--faithfulness'])).toEqual({ selfZoom: {}, faithfulness: {} });
  });

  it('read the crop rule, the layer range and the deletion settings', () => {
    expect(parse(['--self-zoom', '--zoom-crop', 'adaptive:224', '--zoom-layers', '2-3', '--zoom-relative'])).toEqual({
      selfZoom: { crop: { mode: 'adaptive', baseSide: 224 }, layers: [2, 3], relative: true },
    });
    expect(parse(['--self-zoom', '--zoom-crop', 'fixed:0.25']).selfZoom).toEqual({ crop: { mode: 'fixed', fraction: 0.25 } });
    expect(parse(['--self-zoom', '--zoom-input', 'crop+full']).selfZoom).toEqual({ input: 'crop+full' });
    expect(parse(['--faithfulness', '--deletion-fractions', '0.1,0.3', '--random-seeds', '5', '--faithfulness-layers', '1,3-4'])).toEqual({
      faithfulness: { fractions: [0.1, 0.3], randomSeeds: 5, layers: [1, 3, 4] },
    });
  });

  it('spell out "all" layers once the model is known', () => {
    const a = parse(['--faithfulness', '--faithfulness-layers', 'all']);
    expect(forModel(a, 4)).toEqual({ faithfulness: { layers: [1, 2, 3, 4] } });
  });

  it('refuse options of an analysis not asked for, and malformed values, naming the option', () => {
    expect(() => parse(['--zoom-crop', 'fixed:0.5'])).toThrow(/--zoom-crop needs --self-zoom/);
    expect(() => parse(['--random-seeds', '2'])).toThrow(/--random-seeds needs --faithfulness/);
    expect(() => parse(['--self-zoom', '--zoom-crop', 'fixed:1.5'])).toThrow(/--zoom-crop must be/);
    expect(() => parse(['--self-zoom', '--zoom-layers', '3-2'])).toThrow(/--zoom-layers/);
    expect(() => parse(['--zoom-input', 'crop'])).toThrow(/--zoom-input needs --self-zoom/);
    expect(() => parse(['--self-zoom', '--zoom-input', 'full'])).toThrow(/--zoom-input must be crop or crop\+full/);
    expect(() => parse(['--faithfulness', '--deletion-fractions', '0,0.1'])).toThrow(/--deletion-fractions/);
  });
});
