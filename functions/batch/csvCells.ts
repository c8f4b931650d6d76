/**
 * One cell of a results CSV (RFC 4180), guarded against formula injection as OWASP advises
 * (https://owasp.org/www-community/attacks/CSV_Injection): a text cell that a spreadsheet
 * would take for a formula, one starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return, is written with a single quote in front, and quoted. A text cell that already
 * starts with a single quote gets one more, so that a reader removes exactly one leading
 * quote from every text cell that has one (the R client does) and has what was scored.
 * Numbers stay numbers (`-1.5` is not a formula), and so does text that is a plain number.
 * Pure: no I/O here.
 */

/** Text a spreadsheet may run as a formula, and text whose leading quote is its own. */
const GUARDED_START = /^[=+\-@\t\r']/;
/** A plain decimal number, as text: read as a number, never as a formula. */
const NUMBER_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** What makes RFC 4180 quote a cell (and a byte order mark, or edge spaces, which some readers drop). */
const NEEDS_QUOTES = /[",\r\n\uFEFF]|^ | $/;

/** Whether a text cell is written with a leading single quote. */
export const isGuarded = (text: string): boolean => GUARDED_START.test(text) && !NUMBER_TEXT.test(text);

/** A value as one CSV cell: empty for null, numbers and booleans as they print, text guarded and quoted as needed. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const guarded = isGuarded(value);
  const text = guarded ? `'${value}` : value;
  return guarded || NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV lines, each ending in a newline. */
export const csvLines = (rows: unknown[][]): string => rows.map((row) => `${row.map(csvCell).join(',')}\n`).join('');
