/**
 * The score form's values, pure: what each input starts with (the version's example row)
 * and the row they make. Numbers and text are held as the input's text, a factor as the
 * chosen level ('' for none), a logical as true/false, or null when left missing. A date is
 * held as a date input's "YYYY-MM-DD", a date-time as a datetime-local input's wall-clock
 * "YYYY-MM-DDTHH:MM[:SS]" in the model's time zone, sent with that zone's offset then.
 */
import { dateTimeSeconds, formatOffset, formatWall, wallToUtc, zoneOffset } from '../../functions/scoring/timeInputs.js';
import type { Feature } from './types';

export type FieldValue = string | boolean | null;
export type FormValues = Record<string, FieldValue>;

const isNumberType = (f: Feature): boolean => f.type === 'numeric' || f.type === 'integer' || f.type === 'difftime';

/** A datetime-local input's value: a wall-clock time without an offset. */
const WALL_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?$/;

const zoneOf = (f: Feature): string => f.timezone ?? 'UTC';

/** The input's starting value for a feature, from the example row. */
export function initialValue(feature: Feature, example: unknown): FieldValue {
  if (feature.type === 'logical') return typeof example === 'boolean' ? example : feature.nullable ? null : false;
  if (example === null || example === undefined) return '';
  if (feature.type === 'datetime' && typeof example === 'string') {
    // The example's instant on the model's wall clock, as the datetime-local input shows it.
    const at = dateTimeSeconds(example, zoneOf(feature));
    return Number.isNaN(at) ? example : formatWall(at, zoneOf(feature));
  }
  return String(example);
}

/**
 * A wall-clock time in `timezone` ("YYYY-MM-DDTHH:MM[:SS]", as a datetime-local input gives
 * it) as ISO 8601 with that zone's offset then; undefined for any other text.
 */
export function withZoneOffset(wall: string, timezone: string): string | undefined {
  const m = WALL_TIME.exec(wall);
  if (!m) return undefined;
  const text = `${m[1]}T${m[2]}${m[3] ?? ':00'}`;
  const clock = dateTimeSeconds(`${text}Z`, 'UTC');
  if (Number.isNaN(clock)) return undefined;
  return `${text}${formatOffset(zoneOffset(timezone, wallToUtc(clock, timezone)))}`;
}

export function initialValues(features: readonly Feature[], example: Record<string, unknown> | undefined): FormValues {
  return Object.fromEntries(features.map((f) => [f.name, initialValue(f, example?.[f.name])]));
}

/**
 * A feature's value in the row sent. An empty input is null (missing): the app says whether
 * the model can score without it. Text a number input cannot hold goes as typed, so that
 * the app names the problem; a non-nullable text input sends '' as it is.
 */
export function valueOf(feature: Feature, raw: FieldValue): unknown {
  if (feature.type === 'logical') return typeof raw === 'boolean' ? raw : null;
  const text = typeof raw === 'string' ? raw : '';
  if (isNumberType(feature)) {
    if (text.trim() === '') return null;
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (feature.type === 'character') return text === '' && feature.nullable ? null : text;
  if (feature.type === 'datetime' && text !== '') return withZoneOffset(text, zoneOf(feature)) ?? text;
  return text === '' ? null : text;
}

/** The row the form's values make, in the features' order. */
export function rowOf(features: readonly Feature[], values: FormValues): Record<string, unknown> {
  return Object.fromEntries(features.map((f) => [f.name, valueOf(f, values[f.name] ?? null)]));
}

const typeWords: Record<Feature['type'], (f: Feature) => string> = {
  numeric: () => 'number',
  integer: () => 'whole number',
  factor: () => 'one of the levels',
  logical: () => 'true or false',
  character: (f) => (f.levels ? `one of: ${f.levels.join(', ')}` : 'text'),
  date: () => 'date',
  datetime: (f) => `date and time in ${zoneOf(f)}`,
  difftime: (f) => `number of ${f.units ?? 'secs'}`,
};

/** A training range bound in the form's terms: a date-time on the model's wall clock. */
function boundText(f: Feature, bound: number | string): string {
  if (f.type !== 'datetime' || typeof bound !== 'string') return String(bound);
  const at = dateTimeSeconds(bound, zoneOf(f));
  return Number.isNaN(at) ? bound : formatWall(at, zoneOf(f)).replace('T', ' ');
}

/** What the feature takes, in words: its type, and its training range or levels. */
export function describeFeature(f: Feature): string {
  const parts: string[] = [typeWords[f.type](f)];
  const ranged = isNumberType(f) || f.type === 'date' || f.type === 'datetime';
  if (ranged && f.min !== undefined && f.max !== undefined) parts.push(`seen in training from ${boundText(f, f.min)} to ${boundText(f, f.max)}`);
  parts.push(f.nullable ? 'may be left empty' : 'required');
  return parts.join('; ');
}
