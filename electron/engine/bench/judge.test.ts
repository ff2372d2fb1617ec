import { describe, expect, it } from 'vitest';
import { extractAnswer, judgeAnswer, normalizeText, numbersIn, parseWholeNumber } from './judge.js';
import { inferQuestionType } from './rows.js';

const Q = "How many dots are on the card?\nA. 1\nB. 3\nC. 2\nD. 4\n\nAnswer with the option's letter from the given choices.";
const COLOURS = 'What colour is the cap?\nA. red\nB. dark blue\nC. green\nD. blue';

describe('extractAnswer', () => {
  it('prefers <answer> tags, then "Answer:", then the last three lines', () => {
    expect(extractAnswer('thinking... <answer> B </answer> trailing')).toBe('B');
    expect(extractAnswer('<answer>C')).toBe('C');
    expect(extractAnswer('Let me look.\nAnswer: D. 4')).toBe('D. 4');
    expect(extractAnswer('l1\nl2\nl3\nl4\nl5')).toBe('l3\nl4\nl5');
    expect(extractAnswer('B')).toBe('B');
  });
});

describe('judgeAnswer: multiple choice', () => {
  const cases: [string, string, 'correct' | 'wrong' | 'unjudged'][] = [
    ['B', 'B', 'correct'],
    ['B.', 'B', 'correct'],
    ['(B)', 'B', 'correct'],
    ['B) 3', 'B', 'correct'],
    ['B. 3', 'B', 'correct'],
    ['b', 'B', 'correct'], // a lone lowercase letter names that option
    ['c.', 'B', 'wrong'],
    ['[B]', 'B', 'correct'],
    ['B: 3 dots', 'B', 'correct'],
    ['The answer is B.', 'B', 'correct'],
    ['I think it is (C)', 'B', 'wrong'],
    ['<answer>A</answer>', 'B', 'wrong'],
    ['Answer: B', 'B', 'correct'],
    ['3', 'B', 'correct'], // option text matches exactly one option
    ['There are 3 dots.', 'B', 'correct'], // contains exactly one option's text
    ['2', 'B', 'wrong'],
    ['I cannot tell.', 'B', 'wrong'], // names no option
    ['', 'B', 'wrong'], // empty
    ['A cat sits there', 'B', 'wrong'], // article "A", not an option: names no option
    ['ECAH', 'B', 'wrong'], // names no option
    ['B', '(B)', 'correct'],
    ['B', 'B. 3', 'correct'],
    ['Option D', 'D', 'correct'],
    ['A or B', 'B', 'unjudged'],
    ['The answer is a 3.', 'B', 'correct'], // lowercase "a" is an article, then the option text 3
  ];
  for (const [response, gt, expected] of cases) {
    it(`${JSON.stringify(response)} vs ${gt} -> ${expected}`, () => {
      expect(judgeAnswer(response, gt, 'mcq', Q).judgement).toBe(expected);
    });
  }
  it('matches option text when options overlap ("blue" vs "dark blue")', () => {
    expect(judgeAnswer('dark blue', 'B', 'mcq', COLOURS).judgement).toBe('correct');
    expect(judgeAnswer('blue', 'D', 'mcq', COLOURS).judgement).toBe('correct');
    expect(judgeAnswer('It is dark blue', 'B', 'mcq', COLOURS).judgement).toBe('unjudged'); // contains two options
    expect(judgeAnswer('Red.', 'A', 'mcq', COLOURS)).toEqual({
      judgement: 'correct',
      extracted: 'Red.',
      rule: 'option-text',
      reason: 'names option A',
    });
    expect(judgeAnswer('purple', 'A', 'mcq', COLOURS)).toMatchObject({
      judgement: 'wrong',
      rule: 'no-option',
      reason: 'names no option; the answer is A',
    });
    expect(judgeAnswer('A or B', 'B', 'mcq', COLOURS)).toMatchObject({
      rule: 'several-options',
      reason: expect.stringContaining('A and B'),
    });
  });
  it('accepts a ground truth given as option text', () => {
    expect(judgeAnswer('C', 'green', 'mcq', COLOURS).judgement).toBe('correct');
    expect(judgeAnswer('A', 'green', 'mcq', COLOURS).judgement).toBe('wrong');
  });
});

describe('judgeAnswer: numbers', () => {
  const cases: [string, string, 'correct' | 'wrong' | 'unjudged'][] = [
    ['3', '3', 'correct'],
    ['3.', '3', 'correct'],
    ['3.0', '3', 'correct'],
    ['three', '3', 'correct'],
    ['Three', '3', 'correct'],
    ['There are three dots.', '3', 'correct'],
    ['4', '3', 'wrong'],
    ['twelve', '12', 'correct'],
    ['twenty', '20', 'correct'],
    ['1,000', '1000', 'correct'],
    ['3 of the 5 cards', '3', 'unjudged'], // several numbers, one of them right
    ['4 or 5', '3', 'wrong'], // several numbers, none right
    ['no idea', '3', 'wrong'], // no number
    ['7Y', '42', 'wrong'], // no number
    ['', '42', 'wrong'],
    ['3', 'three', 'correct'],
    ['0', 'zero', 'correct'],
    ['-2', '-2', 'correct'],
    ['2.5', '2.5', 'correct'],
    ['2.50', '2.5', 'correct'],
    ['<answer>7</answer>', '7', 'correct'],
  ];
  for (const [response, gt, expected] of cases) {
    it(`${JSON.stringify(response)} vs ${gt} -> ${expected}`, () => {
      expect(judgeAnswer(response, gt, 'blank').judgement).toBe(expected);
    });
  }
  it('helpers', () => {
    expect(parseWholeNumber('seventeen')).toBe(17);
    expect(parseWholeNumber('3 dots')).toBeUndefined();
    expect(numbersIn('v1.2 has 3 and three')).toEqual([3]);
  });
});

describe('judgeAnswer: text', () => {
  const cases: [string, string, 'correct' | 'wrong' | 'unjudged'][] = [
    ['MCAX', 'MCAX', 'correct'],
    ['mcax.', 'MCAX', 'correct'],
    ['The text reads "MCAX".', 'MCAX', 'correct'],
    ['MCAR', 'MCAX', 'wrong'],
    ['a stop sign', 'Stop sign', 'correct'],
    ['not red', 'red', 'wrong'],
    ['It is not red', 'red', 'wrong'],
    ['crimson', 'red', 'wrong'],
    ['!!!', 'red', 'wrong'], // no words
    ['   ', 'red', 'wrong'], // empty
    ['red', '?', 'unjudged'], // a ground truth without words cannot be compared
  ];
  for (const [response, gt, expected] of cases) {
    it(`${JSON.stringify(response)} vs ${gt} -> ${expected}`, () => {
      expect(judgeAnswer(response, gt, 'blank').judgement).toBe(expected);
    });
  }
  it('normalises case, punctuation, articles and whitespace', () => {
    expect(normalizeText('  The  Red, CAP! ')).toBe('red cap');
  });
});

describe('inferQuestionType', () => {
  it('is mcq only with listed options and a single-letter answer', () => {
    expect(inferQuestionType(Q, 'B')).toBe('mcq');
    expect(inferQuestionType(Q, '(C)')).toBe('mcq');
    expect(inferQuestionType(Q, '3')).toBe('blank');
    expect(inferQuestionType('How many?', 'B')).toBe('blank');
    expect(inferQuestionType('Pick\nA. x\nB. y', 'E')).toBe('blank');
  });
});
