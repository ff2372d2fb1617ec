// The answer, token by token with probabilities. Each token is a query position whose attention can be shown;
// query 0 is the last prompt token (the position the paper measures).
import type { AnswerToken } from '../../../electron/contract/types.js';
import { useHeatmapActions, useHeatmapStore } from '../stores/heatmap.js';

export function TokenSelector({ tokens, numQueries }: { tokens: AnswerToken[]; numQueries: number }) {
  const query = useHeatmapStore((s) => s.query);
  const { set } = useHeatmapActions();
  const q = Math.min(query, numQueries - 1);
  return (
    <div className="tokens" role="radiogroup" aria-label="Query position">
      <button
        role="radio"
        aria-checked={q === 0}
        className={`token ${q === 0 ? 'active' : ''}`}
        onClick={() => set({ query: 0 })}
        title="Last prompt token: predicts the first answer token (the paper's query)"
      >
        ⟨prompt⟩
      </button>
      {tokens.map((t, i) => {
        const qi = i + 1;
        const enabled = qi < numQueries;
        return (
          <button
            key={i}
            role="radio"
            aria-checked={q === qi}
            disabled={!enabled}
            className={`token ${q === qi ? 'active' : ''}`}
            onClick={() => set({ query: qi })}
            title={`Token ${i + 1}: id ${t.id}, p = ${t.prob.toFixed(3)}`}
          >
            <span className="token-text">{visible(t.text)}</span>
            <span className="token-prob" style={{ opacity: 0.4 + 0.6 * t.prob }}>
              {(t.prob * 100).toFixed(0)}%
            </span>
          </button>
        );
      })}
    </div>
  );
}

/** Shows whitespace and control tokens so they can be clicked. */
function visible(text: string): string {
  if (text === '') return '∅';
  return text.replace(/ /g, '␣').replace(/\n/g, '⏎');
}
