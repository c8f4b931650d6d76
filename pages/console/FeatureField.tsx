/**
 * One input of the score form, chosen by the feature's type: a number input for numbers
 * (a difftime's with its units beside it), a select of the training levels for a factor
 * (and a character input that has them), a checkbox for a logical, a date input for a
 * date, a datetime-local input on the model's wall clock for a date-time, a text input for
 * text. The app's message about the field sits right under it (aria-invalid, aria-describedby).
 */
import { describeFeature, type FieldValue } from './formValues';
import type { Feature } from './types';

interface Props {
  feature: Feature;
  /** The input's id; its hint and error take it as a prefix. */
  id: string;
  value: FieldValue;
  error?: string;
  onChange(value: FieldValue): void;
}

export function FeatureField({ feature, id, value, error, onChange }: Props) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const aria = {
    required: !feature.nullable && feature.type !== 'logical',
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': error ? `${errorId} ${hintId}` : hintId,
  };
  const text = typeof value === 'string' ? value : '';
  let control;
  if (feature.type === 'logical') {
    const missing = value === null;
    control = (
      <div class="checks">
        <input id={id} type="checkbox" checked={value === true} disabled={missing} onChange={(e) => onChange(e.currentTarget.checked)} {...aria} />
        <label for={id}>{feature.name}</label>
        {feature.nullable && (
          <>
            <input id={`${id}-missing`} type="checkbox" checked={missing} onChange={(e) => onChange(e.currentTarget.checked ? null : false)} />
            <label for={`${id}-missing`}>missing</label>
          </>
        )}
      </div>
    );
  } else if (feature.type === 'factor' || (feature.type === 'character' && feature.levels)) {
    const levels = feature.levels ?? [];
    const needsEmpty = feature.nullable || !levels.includes(text);
    control = (
      <select id={id} value={text} onChange={(e) => onChange(e.currentTarget.value)} {...aria}>
        {needsEmpty && <option value="">{feature.nullable ? '(missing)' : '(choose a level)'}</option>}
        {levels.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
    );
  } else if (feature.type === 'numeric' || feature.type === 'integer') {
    control = <input id={id} type="number" inputMode="decimal" step={feature.type === 'integer' ? 1 : 'any'} value={text} onInput={(e) => onChange(e.currentTarget.value)} {...aria} />;
  } else if (feature.type === 'difftime') {
    control = (
      <div class="with-unit">
        <input id={id} type="number" inputMode="decimal" step="any" value={text} onInput={(e) => onChange(e.currentTarget.value)} {...aria} />
        <span class="unit">{feature.units}</span>
      </div>
    );
  } else if (feature.type === 'date') {
    control = <input id={id} type="date" value={text} onInput={(e) => onChange(e.currentTarget.value)} {...aria} />;
  } else if (feature.type === 'datetime') {
    control = <input id={id} type="datetime-local" step={1} value={text} onInput={(e) => onChange(e.currentTarget.value)} {...aria} />;
  } else {
    control = <input id={id} type="text" value={text} onInput={(e) => onChange(e.currentTarget.value)} {...aria} />;
  }
  return (
    <div class={error ? 'field invalid' : 'field'}>
      {feature.type !== 'logical' && (
        <label for={id}>{feature.name}</label>
      )}
      {control}
      <p id={hintId} class="hint">
        {describeFeature(feature)}
      </p>
      {error && (
        <p id={errorId} class="field-error">
          {feature.name} {error}
        </p>
      )}
    </div>
  );
}
