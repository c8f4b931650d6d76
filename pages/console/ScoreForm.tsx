/**
 * A form generated from a version's features, prefilled with its example row, that scores
 * one row. A 422's field errors are shown next to their fields; the first such field takes
 * the focus.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { useConsole } from './context';
import { FeatureField } from './FeatureField';
import { idPart } from './format';
import { initialValues, rowOf, type FieldValue, type FormValues } from './formValues';
import { Prediction } from './Prediction';
import { ProblemView } from './ProblemView';
import { SelectField } from './SelectField';
import type { ScoreAnswer, VersionDescription } from './types';

/** Field errors by feature name (messages joined), for the features the form has. */
function fieldErrors(err: unknown, names: ReadonlySet<string>): Map<string, string> {
  const byField = new Map<string, string>();
  if (!(err instanceof ApiError)) return byField;
  for (const e of err.problem?.errors ?? []) {
    if (!names.has(e.field)) continue;
    const before = byField.get(e.field);
    byField.set(e.field, before ? `${before}; ${e.message}` : e.message);
  }
  return byField;
}

export function ScoreForm({ description: d }: { description: VersionDescription }) {
  const { api } = useConsole();
  const example = d.exampleRequest.data[0];
  const [values, setValues] = useState<FormValues>(() => initialValues(d.features, example));
  const [type, setType] = useState(d.defaultType);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<ScoreAnswer>();
  const [error, setError] = useState<unknown>();
  const base = `score-${idPart(d.name)}-${idPart(d.version)}`;
  const names = new Set(d.features.map((f) => f.name));
  const errors = fieldErrors(error, names);
  const firstInvalid = d.features.find((f) => errors.has(f.name));

  // After the app refuses the row, the first field it named takes the focus.
  useEffect(() => {
    if (firstInvalid) document.getElementById(`${base}-${idPart(firstInvalid.name)}`)?.focus();
  }, [error]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setAnswer(undefined);
    setError(undefined);
    try {
      setAnswer(await api.score(d.name, d.version, rowOf(d.features, values), type));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const set = (name: string) => (value: FieldValue) => setValues((v) => ({ ...v, [name]: value }));

  return (
    <section aria-labelledby={`${base}-heading`}>
      <h3 id={`${base}-heading`}>Score a row</h3>
      <form onSubmit={submit} noValidate class="score-form">
        <div class="fields">
          {d.features.map((f) => (
            <FeatureField key={f.name} feature={f} id={`${base}-${idPart(f.name)}`} value={values[f.name] ?? null} error={errors.get(f.name)} onChange={set(f.name)} />
          ))}
        </div>
        <SelectField id={`${base}-type`} label="Prediction type" value={type} options={Object.keys(d.predictionTypes)} onChange={setType} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Scoring…' : 'Score'}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setValues(initialValues(d.features, example));
              setError(undefined);
              setAnswer(undefined);
            }}
          >
            Reset to the example
          </button>
        </div>
      </form>
      <div aria-live="polite">{answer && <Prediction answer={answer} />}</div>
      {error !== undefined && <ProblemView error={error} shownFields={new Set(errors.keys())} title="The row was not scored" />}
    </section>
  );
}
