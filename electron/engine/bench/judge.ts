// Rule-based judge, following the paper's mm-eval/judge_qwenlm.py minus its LLM step: what the rules
// cannot decide is returned as `unjudged` instead of being sent to a language model.
import type { Judgement, QuestionType } from '../../contract/types.js';
import { listedOptions } from './rows.js';

export type JudgeRule =
  'letter' | 'option-text' | 'no-option' | 'several-options' | 'number' | 'no-number' | 'several-numbers' | 'text' | 'empty' | 'none';

export interface JudgeResult {
  judgement: Judgement;
  /** The part of the response the rules looked at. */
  extracted: string;
  /** Which rule decided (for the per-item table and debugging). */
  rule: JudgeRule;
  /** Why, in words ("names option C; the answer is B"): shown beside the verdict. */
  reason: string;
}

/**
 * The paper's extraction: the text inside <answer>...</answer>; else the text after the first
 * "Answer:" (the paper keeps the "Answer:" prefix; it never matters to its comparisons, so we drop it);
 * else the last three lines.
 */
export function extractAnswer(response: string): string {
  const open = response.indexOf('<answer>');
  if (open >= 0) {
    const close = response.indexOf('</answer>', open);
    return response.slice(open + '<answer>'.length, close >= 0 ? close : undefined).trim();
  }
  const marker = /answer\s*:/i.exec(response);
  if (marker) return response.slice(marker.index + marker[0].length).trim();
  return response.split('\n').slice(-3).join('\n').trim();
}

/** Lowercase, strip punctuation and articles, collapse whitespace. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
  'twenty',
];
const NUMBER_TOKEN = new RegExp(
  `(?<![\\w.])(-?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|-?\\d+(?:\\.\\d+)?|${NUMBER_WORDS.join('|')})(?![\\w]|\\.\\d)`,
  'gi',
);

function tokenValue(token: string): number {
  const word = NUMBER_WORDS.indexOf(token.toLowerCase());
  return word >= 0 ? word : Number(token.replace(/,/g, ''));
}

/** The number a whole answer denotes ("3", "3.0", "three", "1,000", "3 dots" is NOT a whole number). */
export function parseWholeNumber(text: string): number | undefined {
  const t = text.trim().replace(/\.$/, '');
  const m = new RegExp(`^${NUMBER_TOKEN.source}$`, 'i').exec(t);
  return m ? tokenValue(m[1]) : undefined;
}

/** Distinct numbers mentioned in a text. */
export function numbersIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(NUMBER_TOKEN)) {
    const v = tokenValue(m[1]);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** The option letter a ground truth like "B", "B.", "(B)", "B) text" names. */
export function groundTruthLetter(gt: string): string | undefined {
  const m = /^[\s([]*([A-Z])(?:$|[.)\]]|[:-]\s+|\s*$)/.exec(gt.trim());
  return m ? m[1] : undefined;
}

/** Letters the response names: a leading "B" / "B." / "(B)" / "B) text" / "B: text", a "(B)" anywhere, or a letter standing alone before punctuation or the end. */
export function lettersNamed(text: string, options: ReadonlySet<string>): string[] {
  const allowed = (l: string) => (options.size === 0 ? /[A-F]/.test(l) : options.has(l));
  const t = text.trim();
  const lead = /^[\s([*]*([A-Z])(?:\s*$|[.)\]:,]|\s+-\s)/.exec(t);
  if (lead && allowed(lead[1])) return [lead[1]];
  const found: string[] = [];
  const add = (l: string) => {
    if (allowed(l) && !found.includes(l)) found.push(l);
  };
  for (const m of t.matchAll(/[([]([A-Z])[)\]]/g)) add(m[1]);
  if (found.length > 0) return found;
  // "the answer is B." / "option C" / "B" at the very end. A bare "A"/"I" followed by a word is
  // English, not an option, so a standalone letter needs punctuation or the end after it,
  // or "option"/"choice"/"answer is" before it.
  for (const m of t.matchAll(/(?<![\w'])([A-Z])(?=\s*(?:[.,;:!?)]|$))/g)) add(m[1]);
  for (const m of t.matchAll(/\b(?:[Oo]ption|[Cc]hoice|[Aa]nswer is|[Aa]nswer:)\s*([A-Z])\b/g)) add(m[1]);
  // Hedges ("A or B", "B and C") name every letter they list, which makes the answer ambiguous.
  for (const m of t.matchAll(/(?<![\w'])([A-Z])\s+(?:or|and)\s+([A-Z])(?![\w'])/g)) {
    add(m[1]);
    add(m[2]);
  }
  return found;
}

function containsPhrase(haystack: string, needle: string): boolean {
  if (needle === '') return false;
  return ` ${haystack} `.includes(` ${needle} `);
}

const NEGATION = /\b(not|no|isn t|isnt|aren t|never|neither|nor)\b/;

function judgeText(extracted: string, gt: string): JudgeResult {
  const p = normalizeText(extracted);
  const g = normalizeText(gt);
  if (g === '') return { judgement: 'unjudged', extracted, rule: 'none', reason: 'the ground truth has no words to compare with' };
  if (p === '') return { judgement: 'wrong', extracted, rule: 'empty', reason: 'the answer has no words' };
  if (p === g) return { judgement: 'correct', extracted, rule: 'text', reason: 'same text as the ground truth' };
  if (containsPhrase(p, g)) {
    if (!NEGATION.test(p)) return { judgement: 'correct', extracted, rule: 'text', reason: 'contains the ground truth' };
    return { judgement: 'wrong', extracted, rule: 'text', reason: 'mentions the ground truth only with a negation' };
  }
  return { judgement: 'wrong', extracted, rule: 'text', reason: 'text differs from the ground truth' };
}

function judgeNumber(extracted: string, value: number): JudgeResult {
  const whole = parseWholeNumber(extracted);
  const nums = whole !== undefined ? [whole] : numbersIn(extracted);
  const same = (n: number) => Math.abs(n - value) < 1e-9;
  if (nums.length === 0) return { judgement: 'wrong', extracted, rule: 'no-number', reason: `gives no number; the answer is ${value}` };
  if (nums.length === 1) {
    return same(nums[0])
      ? { judgement: 'correct', extracted, rule: 'number', reason: `gives ${nums[0]}` }
      : { judgement: 'wrong', extracted, rule: 'number', reason: `gives ${nums[0]}; the answer is ${value}` };
  }
  if (!nums.some(same)) {
    return { judgement: 'wrong', extracted, rule: 'several-numbers', reason: `gives ${nums.join(', ')}; none is ${value}` };
  }
  return {
    judgement: 'unjudged',
    extracted,
    rule: 'several-numbers',
    reason: `gives several numbers (${nums.join(', ')}); the rules cannot tell which one is meant`,
  };
}

const listLetters = (named: readonly string[], letters = [...named].sort()) =>
  letters.length <= 2 ? letters.join(' and ') : `${letters.slice(0, -1).join(', ')} and ${letters.at(-1)}`;

function judgeMcq(extracted: string, gt: string, question: string): JudgeResult {
  const optionMap = listedOptions(question);
  const options = new Set(optionMap.keys());
  let gtLetter = groundTruthLetter(gt);
  if (gtLetter === undefined || (options.size > 0 && !options.has(gtLetter))) {
    // A ground truth given as the option's text: map it to its letter.
    const g = normalizeText(gt);
    gtLetter = [...optionMap].find(([, text]) => normalizeText(text) === g)?.[0];
    if (gtLetter === undefined) return judgeText(extracted, gt);
  }
  const verdict = (letter: string, rule: JudgeRule): JudgeResult =>
    letter === gtLetter
      ? { judgement: 'correct', extracted, rule, reason: `names option ${letter}` }
      : { judgement: 'wrong', extracted, rule, reason: `names option ${letter}; the answer is ${gtLetter}` };
  // A lone lowercase letter ("b", "b.") names that option too.
  const lone = /^\(?([a-z])\)?\.?$/.exec(extracted.trim());
  if (lone && (options.size === 0 ? /[a-f]/.test(lone[1]) : options.has(lone[1].toUpperCase())))
    return verdict(lone[1].toUpperCase(), 'letter');
  const letters = lettersNamed(extracted, options);
  if (letters.length === 1) return verdict(letters[0], 'letter');
  if (letters.length > 1) {
    return {
      judgement: 'unjudged',
      extracted,
      rule: 'several-options',
      reason: `names options ${listLetters(letters)}; the rules cannot tell which one is meant`,
    };
  }
  // No letter: does the text name exactly one option's text?
  const p = normalizeText(extracted);
  if (p !== '') {
    const exact = [...optionMap].filter(([, text]) => normalizeText(text) === p);
    if (exact.length === 1) return verdict(exact[0][0], 'option-text');
    const contained = [...optionMap].filter(([, text]) => containsPhrase(p, normalizeText(text)));
    if (contained.length === 1) return verdict(contained[0][0], 'option-text');
    if (contained.length > 1) {
      return {
        judgement: 'unjudged',
        extracted,
        rule: 'several-options',
        reason: `mentions the texts of options ${listLetters(contained.map(([l]) => l))}; the rules cannot tell which one is meant`,
      };
    }
  }
  return { judgement: 'wrong', extracted, rule: 'no-option', reason: `names no option; the answer is ${gtLetter}` };
}

/** Judges one model response against the ground truth (the rules in words: electron/contract/judging.ts). */
export function judgeAnswer(response: string, groundTruth: string, questionType: QuestionType, question = ''): JudgeResult {
  const extracted = extractAnswer(response);
  if (extracted === '') return { judgement: 'wrong', extracted, rule: 'empty', reason: 'empty answer' };
  if (questionType === 'mcq') return judgeMcq(extracted, groundTruth, question);
  const value = parseWholeNumber(groundTruth);
  if (value !== undefined) return judgeNumber(extracted, value);
  return judgeText(extracted, groundTruth);
}
