/** Each input's drift flag and shares, as a table (the charts' numbers in text). */
import { num, pct } from './format';
import type { FeatureReport } from './types';

export function DriftTable({ features, threshold }: { features: readonly FeatureReport[]; threshold: number }) {
  return (
    <table class="data">
      <caption>
        Inputs against their training reference (drift: PSI above {threshold})
      </caption>
      <thead>
        <tr>
          <th scope="col">Input</th>
          <th scope="col">Rows</th>
          <th scope="col">PSI</th>
          <th scope="col">Drift</th>
          <th scope="col">Missing (live / training)</th>
          <th scope="col">Out of range</th>
          <th scope="col">Unseen levels</th>
        </tr>
      </thead>
      <tbody>
        {features.map((f) => (
          <tr key={f.name} class={f.drift ? 'drifted' : undefined}>
            <th scope="row">{f.name}</th>
            <td>{f.rows}</td>
            <td>{num(f.psi, 3)}</td>
            <td>{f.drift === null ? '–' : f.drift ? <strong class="flag">drift</strong> : 'no'}</td>
            <td>
              {pct(f.nullShare.live)} / {pct(f.nullShare.reference)}
            </td>
            <td>{pct(f.outOfRangeShare)}</td>
            <td>{f.unseenLevelAttempts}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
