// The rules the rule-based judge applies (electron/engine/bench/judge.ts), in words: the app shows them
// in a tooltip beside every accuracy and docs/metrics.md lists the same rules. Pure constants only
// (the renderer imports this file).

export const JUDGE_RULES: readonly string[] = [
  'The answer is read as the paper reads it: the text inside <answer>…</answer>, else the text after "Answer:", else the last three lines.',
  'Multiple choice: an answer that names exactly one option (its letter as "B", "B.", "(B)", "B) …", or its text) is correct when that option is the ground truth and wrong otherwise. An answer that names no option is wrong. One that names several options is unjudged.',
  'Numbers (the ground truth is a number): the number the answer gives (digits, "1,000", or a word from zero to twenty) is compared with it. An answer with no number is wrong; one with several numbers is wrong when none of them is the ground truth and unjudged otherwise.',
  'Text: case, punctuation, articles and spacing are ignored; text equal to the ground truth, or containing it without a negation, is correct; anything else is wrong.',
  'An empty answer is wrong. Failed items (the model could not run on them) are counted apart from unjudged ones.',
  'Accuracy over all items = correct / every item of the view (unjudged and failed count as not correct, as in the paper). Accuracy over judged items = correct / (correct + wrong).',
];

/** One paragraph, for a title attribute. */
export function judgeRulesText(): string {
  return JUDGE_RULES.map((r, i) => `${i + 1}. ${r}`).join('\n');
}
