import type { Feature } from '../scoring/modelSchema.js';

const TRUE = new Set(['TRUE', 'true', 'True', 'T']);
const FALSE = new Set(['FALSE', 'false', 'False', 'F']);

/**
 * A CSV cell as the JSON value the row validator expects, by the feature's type: numbers
 * as numbers, TRUE/FALSE as booleans, `NA` (and empty, except for strings) as null. A
 * value that does not convert is kept as the string, for the validator to name.
 */
export function csvValue(text: string, feature: Feature | undefined): unknown {
  if (!feature) return text;
  if (text === 'NA' || (text === '' && feature.type !== 'character')) return null;
  switch (feature.type) {
    case 'numeric':
    case 'integer': {
      const n = Number(text);
      return text.trim() === '' || Number.isNaN(n) ? text : n;
    }
    case 'logical':
      return TRUE.has(text) ? true : FALSE.has(text) ? false : text;
    default:
      return text;
  }
}
