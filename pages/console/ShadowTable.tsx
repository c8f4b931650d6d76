/** How a shadow version's predictions agreed with the served ones. */
import { num, pct } from './format';
import type { ShadowReport } from './types';

export function ShadowTable({ shadow }: { shadow: readonly ShadowReport[] }) {
  if (shadow.length === 0) return <p>No shadow version scored requests of this version in the window.</p>;
  return (
    <table class="data">
      <caption>Shadow versions against this one</caption>
      <thead>
        <tr>
          <th scope="col">Shadow version</th>
          <th scope="col">Requests</th>
          <th scope="col">Compared</th>
          <th scope="col">Failed</th>
          <th scope="col">Dropped</th>
          <th scope="col">Rows</th>
          <th scope="col">Agreement</th>
          <th scope="col">Mean |difference|</th>
          <th scope="col">Class agreement</th>
        </tr>
      </thead>
      <tbody>
        {shadow.map((s) => (
          <tr key={s.version}>
            <th scope="row">{s.version}</th>
            <td>{s.requests}</td>
            <td>{s.compared}</td>
            <td>{s.failed}</td>
            <td>{s.dropped}</td>
            <td>{s.rows}</td>
            <td>{pct(s.agreement)}</td>
            <td>{num(s.meanAbsDiff)}</td>
            <td>{pct(s.classAgreement)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
