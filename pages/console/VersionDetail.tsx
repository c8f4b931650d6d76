/** A version's features, prediction types and packages, and a form to score one row with it. */
import { useConsole } from './context';
import { when } from './format';
import { ProblemView } from './ProblemView';
import { ScoreForm } from './ScoreForm';
import type { Feature, OutputType } from './types';
import { useLoad } from './useLoad';

function range(f: Feature): string {
  if (f.levels) return f.levels.join(', ');
  if (f.min !== undefined && f.max !== undefined) return `${f.min} to ${f.max}${f.units ? ` ${f.units}` : ''}`;
  return '–';
}

/** A feature's type, with a date-time's time zone or a difftime's units. */
const typeText = (f: Feature): string => (f.timezone ? `${f.type} (${f.timezone})` : f.units ? `${f.type} (${f.units})` : f.type);

function outputText(t: OutputType): string {
  if (t.kind === 'probabilities' || t.kind === 'class') return `${t.kind}${t.classes ? `: ${t.classes.join(', ')}` : ''}`;
  if (t.kind === 'values' && t.columns) return `values: ${t.columns.join(', ')}`;
  return t.kind;
}

export function VersionDetail({ name, version }: { name: string; version: string }) {
  const { api } = useConsole();
  const { value: d, error, loading } = useLoad(() => api.getVersion(name, version), [api, name, version]);
  const headingId = 'version-heading';
  return (
    <section class="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {name} version {version}
      </h2>
      {loading && !d && <p role="status">Loading…</p>}
      {error !== undefined && <ProblemView error={error} title="The version could not be read" />}
      {d && (
        <>
          <dl class="facts">
            <dt>Published</dt>
            <dd>{when(d.publishedAt)}</dd>
            <dt>Aliases serving it</dt>
            <dd>{d.aliases.length ? d.aliases.join(', ') : 'none'}</dd>
            <dt>Scored by</dt>
            <dd>{d.customScore ? 'its score.R' : 'predict()'}</dd>
            <dt>R packages</dt>
            <dd>{d.packages.length ? d.packages.join(', ') : 'none'}</dd>
          </dl>
          <h3>Features</h3>
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col">Type</th>
                <th scope="col">Levels or training range</th>
                <th scope="col">May be missing</th>
              </tr>
            </thead>
            <tbody>
              {d.features.map((f) => (
                <tr key={f.name}>
                  <th scope="row">
                    <code>{f.name}</code>
                  </th>
                  <td>{typeText(f)}</td>
                  <td>{range(f)}</td>
                  <td>{f.nullable ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Prediction types</h3>
          <ul>
            {Object.entries(d.predictionTypes).map(([t, out]) => (
              <li key={t}>
                <code>{t}</code>
                {t === d.defaultType ? ' (default)' : ''}: {outputText(out)}
              </li>
            ))}
          </ul>
          <ScoreForm description={d} />
        </>
      )}
    </section>
  );
}
