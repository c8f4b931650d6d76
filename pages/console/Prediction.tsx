/** The app's answer to a scored row: the version that served it and the prediction. */
import { num } from './format';
import type { ScoreAnswer } from './types';

function Value({ value }: { value: unknown }) {
  if (typeof value === 'number') return <span class="prediction-value">{num(value, 8)}</span>;
  if (value === null) return <span class="prediction-value">NA</span>;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    return (
      <table class="data compact">
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{typeof v === 'number' ? num(v, 6) : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return <span class="prediction-value">{typeof value === 'string' ? value : JSON.stringify(value)}</span>;
}

export function Prediction({ answer }: { answer: ScoreAnswer }) {
  return (
    <div class="answer">
      <p>
        Prediction (<code>{answer.type}</code>) from {answer.model.name} version {answer.model.version}:
      </p>
      <Value value={answer.predictions[0]} />
      <p class="hint">
        Request id <code>{answer.requestId}</code>
      </p>
    </div>
  );
}
