/** A model's monitoring over a window, per version (GET /api/models/{name}/monitoring). */
import { useState } from 'preact/hooks';
import { useConsole } from './context';
import { when } from './format';
import { ProblemView } from './ProblemView';
import { useLoad } from './useLoad';
import { VersionMonitor } from './VersionMonitor';

const WINDOWS = [
  ['15m', '15 minutes'],
  ['1h', '1 hour'],
  ['6h', '6 hours'],
  ['24h', '24 hours'],
] as const;

export function Monitoring() {
  const { api, models } = useConsole();
  const [name, setName] = useState(models[0]?.name ?? '');
  const [span, setSpan] = useState('1h');
  const [version, setVersion] = useState('');
  const [reads, setReads] = useState(0);
  const model = models.find((m) => m.name === name);
  const { value: report, error, loading } = useLoad(() => (name ? api.monitoring(name, span, version || undefined) : Promise.resolve(undefined)), [api, name, span, version, reads]);

  if (!model) return <p>No model is published yet.</p>;
  return (
    <section aria-labelledby="monitoring-heading">
      <h2 id="monitoring-heading">Monitoring</h2>
      <form
        class="panel row"
        onSubmit={(e) => {
          e.preventDefault();
          setReads((n) => n + 1);
        }}
      >
        <div class="field">
          <label for="monitoring-model">Model</label>
          <select
            id="monitoring-model"
            value={name}
            onChange={(e) => {
              setName(e.currentTarget.value);
              setVersion('');
            }}
          >
            {models.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="monitoring-version">Version or alias</label>
          <select id="monitoring-version" value={version} onChange={(e) => setVersion(e.currentTarget.value)}>
            <option value="">every version scored</option>
            {model.versions.map((v) => (
              <option key={v} value={v}>
                version {v}
              </option>
            ))}
            {Object.keys(model.aliases).map((a) => (
              <option key={`alias-${a}`} value={a}>
                alias {a}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="monitoring-window">Window</label>
          <select id="monitoring-window" value={span} onChange={(e) => setSpan(e.currentTarget.value)}>
            {WINDOWS.map(([v, text]) => (
              <option key={v} value={v}>
                {text}
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="submit" disabled={loading}>
            {loading ? 'Reading…' : 'Refresh'}
          </button>
        </div>
      </form>
      {error !== undefined && <ProblemView error={error} title="The monitoring report could not be read" />}
      {report && report.name === name && (
        <>
          <p class="hint">
            {report.name}, from {when(report.window.from)} to {when(report.window.to)}.
          </p>
          {report.versions.length === 0 ? (
            <p>No version of {report.name} scored a request in this window.</p>
          ) : (
            report.versions.map((v) => <VersionMonitor key={v.version} report={report} version={v} />)
          )}
        </>
      )}
    </section>
  );
}
