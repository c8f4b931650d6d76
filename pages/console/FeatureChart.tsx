/** One input's live distribution over its training reference: a bar chart, its summary, and its numbers. */
import { useMemo } from 'preact/hooks';
import { ChartCanvas } from './ChartCanvas';
import { distributionChart, distributionSummary } from './charts';
import { pct } from './format';
import type { FeatureReport } from './types';

export function FeatureChart({ feature: f, threshold }: { feature: FeatureReport; threshold: number }) {
  const config = useMemo(() => distributionChart(f), [f]);
  const summary = distributionSummary(f, threshold);
  return (
    <figure class={f.drift ? 'feature-chart drifted' : 'feature-chart'}>
      <figcaption>
        <strong>{f.name}</strong> {f.drift ? <span class="flag">drift</span> : null}
      </figcaption>
      <ChartCanvas config={config} label={`Bar chart of ${f.name}, share of values per bin: training reference against live. ${summary}`} />
      <p class="hint">{summary}</p>
      <details>
        <summary>Bins of {f.name}</summary>
        <table class="data compact">
          <thead>
            <tr>
              <th scope="col">Bin</th>
              <th scope="col">Training</th>
              <th scope="col">Live</th>
            </tr>
          </thead>
          <tbody>
            {f.bins.map((b) => (
              <tr key={b.label}>
                <th scope="row">{b.label}</th>
                <td>{pct(b.reference)}</td>
                <td>{pct(b.live)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
