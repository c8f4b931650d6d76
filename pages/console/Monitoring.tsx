/** A model's monitoring over a window, per version (GET /api/models/{name}/monitoring). */
import { useState } from 'preact/hooks';
import { useConsole } from './context';
import { when } from './format';
import { ProblemView } from './ProblemView';
import { SelectField } from './SelectField';
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
        <SelectField
          id="monitoring-model"
          label="Model"
          value={name}
          options={models.map((m) => m.name)}
          onChange={(value) => {
            setName(value);
            setVersion('');
          }}
        />
        <SelectField
          id="monitoring-version"
          label="Version or alias"
          value={version}
          options={[['', 'every version scored'], ...model.versions.map((v) => [v, `version ${v}`] as const), ...Object.keys(model.aliases).map((a) => [a, `alias ${a}`] as const)]}
          onChange={setVersion}
        />
        <SelectField id="monitoring-window" label="Window" value={span} options={WINDOWS} onChange={setSpan} />
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
