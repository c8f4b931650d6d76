import type { Feature } from '../scoring/modelSchema.js';

const TRUE = new Set(['TRUE', 'true', 'True', 'T']);
const FALSE = new Set(['FALSE', 'false', 'False', 'F']);

/**
 * A CSV cell as the JSON value the row validator expects, by the feature's type: numbers
 * (and difftimes) as numbers (finite ones only, as in JSON), TRUE/FALSE as booleans, `NA`
 * (and empty, except for strings) as null; dates and date-times stay their text. A value that does not convert is kept as the string, for
 * the validator to name.
 */
export function csvValue(text: string, feature: Feature | undefined): unknown {
  if (!feature) return text;
  switch (feature.type) {
    case 'numeric':
    case 'integer':
    case 'difftime': {
      // Number() reads blanks as 0: only a zero needs the blank check.
      const n = Number(text);
      if (Number.isFinite(n) && (n !== 0 || text.trim() !== '')) return n;
      return text === 'NA' || text === '' ? null : text;
    }
    case 'logical':
      return TRUE.has(text) ? true : FALSE.has(text) ? false : text === 'NA' || text === '' ? null : text;
    case 'character':
      return text === 'NA' ? null : text;
    default:
      return text === 'NA' || text === '' ? null : text;
  }
}
