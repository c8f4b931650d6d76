/**
 * Shadow scoring, pure: how the predictions a shadow version made for a request compare
 * with those the client got from the served version.
 *
 * A row's prediction is a number (null for NA), a class label, a logical, or an object of
 * named numbers (class probabilities, or named values).
 */

/** How one request's predictions on a shadow version compare with those the client got. */
export interface Comparison {
  /** Rows the client got (served predictions). */
  rows: number;
  /** Rows whose shadow prediction equals the served one (numbers within RELATIVE_TOLERANCE). */
  agreed: number;
  /** Rows with a number (or named numbers) on both sides, over which absDiffSum is summed. */
  numericRows: number;
  /** Sum over numericRows of |served - shadow| (for named numbers, the mean over names). */
  absDiffSum: number;
  /** Rows with a class on both sides: a label, a logical, or the most probable name. */
  classRows: number;
  /** classRows where the two classes are the same. */
  classAgreed: number;
}

/** Numbers agree when |a - b| <= RELATIVE_TOLERANCE * max(1, |a|, |b|). */
export const RELATIVE_TOLERANCE = 1e-9;

/** A comparison of nothing, to add comparisons into. */
export function emptyComparison(): Comparison {
  return { rows: 0, agreed: 0, numericRows: 0, absDiffSum: 0, classRows: 0, classAgreed: 0 };
}

/** Adds `c` into `into` (mutating it) and returns `into`. */
export function addComparison(into: Comparison, c: Comparison): Comparison {
  into.rows += c.rows;
  into.agreed += c.agreed;
  into.numericRows += c.numericRows;
  into.absDiffSum += c.absDiffSum;
  into.classRows += c.classRows;
  into.classAgreed += c.classAgreed;
  return into;
}

const isNull = (v: unknown): v is null | undefined => v === null || v === undefined;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function sameNumber(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Whether two predictions are equal: numbers within the tolerance, objects member by member. */
function same(a: unknown, b: unknown): boolean {
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (typeof a === 'number' && typeof b === 'number') return sameNumber(a, b);
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
  }
  return a === b;
}

/** The name of the largest number in an object (the first of equals); undefined if it has none. */
function argmax(o: Record<string, unknown>): string | undefined {
  let best: string | undefined;
  let max = -Infinity;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && (best === undefined || v > max)) {
      best = k;
      max = v;
    }
  }
  return best;
}

/**
 * Compares predictions row by row. `rows` is the served rows; when the shadow answered
 * fewer rows, the missing ones count as not agreed (extra shadow rows are ignored).
 */
export function comparePredictions(served: readonly unknown[], shadow: readonly unknown[]): Comparison {
  const c = emptyComparison();
  c.rows = served.length;
  const n = Math.min(served.length, shadow.length);
  for (let i = 0; i < n; i++) {
    const a = served[i];
    const b = shadow[i];
    if (same(a, b)) c.agreed++;
    if (typeof a === 'number' && typeof b === 'number') {
      c.numericRows++;
      c.absDiffSum += Math.abs(a - b);
    } else if ((typeof a === 'string' || typeof a === 'boolean') && typeof a === typeof b) {
      c.classRows++;
      if (a === b) c.classAgreed++;
    } else if (isRecord(a) && isRecord(b)) {
      // Named numbers: the mean difference over the names both sides give a number for.
      let sum = 0;
      let names = 0;
      for (const [k, v] of Object.entries(a)) {
        const w = b[k];
        if (typeof v === 'number' && typeof w === 'number') {
          sum += Math.abs(v - w);
          names++;
        }
      }
      if (names > 0) {
        c.numericRows++;
        c.absDiffSum += sum / names;
      }
      const classA = argmax(a);
      const classB = argmax(b);
      if (classA !== undefined && classB !== undefined) {
        c.classRows++;
        if (classA === classB) c.classAgreed++;
      }
    }
  }
  return c;
}
