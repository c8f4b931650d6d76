/**
 * The score form's values, pure: what each input starts with (the version's example row)
 * and the row they make. Numbers and text are held as the input's text, a factor as the
 * chosen level ('' for none), a logical as true/false, or null when left missing.
 */
import type { Feature } from './types';

export type FieldValue = string | boolean | null;
export type FormValues = Record<string, FieldValue>;

const isNumberType = (f: Feature): boolean => f.type === 'numeric' || f.type === 'integer';

/** The input's starting value for a feature, from the example row. */
export function initialValue(feature: Feature, example: unknown): FieldValue {
  if (feature.type === 'logical') return typeof example === 'boolean' ? example : feature.nullable ? null : false;
  if (example === null || example === undefined) return '';
  return String(example);
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
  return text === '' ? null : text;
}

/** The row the form's values make, in the features' order. */
export function rowOf(features: readonly Feature[], values: FormValues): Record<string, unknown> {
  return Object.fromEntries(features.map((f) => [f.name, valueOf(f, values[f.name] ?? null)]));
}

/** What the feature takes, in words: its type, and its training range or levels. */
export function describeFeature(f: Feature): string {
  const parts: string[] = [f.type === 'integer' ? 'whole number' : f.type === 'numeric' ? 'number' : f.type === 'factor' ? 'one of the levels' : f.type === 'logical' ? 'true or false' : 'text'];
  if (isNumberType(f) && f.min !== undefined && f.max !== undefined) parts.push(`seen in training from ${f.min} to ${f.max}`);
  parts.push(f.nullable ? 'may be left empty' : 'required');
  return parts.join('; ');
}
