/**
 * Date, date-time and time-difference inputs, pure: the text forms the app accepts for R's
 * Date and POSIXct, and their numbers (days, seconds since 1970-01-01 UTC) as R holds them.
 *
 * A date is "YYYY-MM-DD". A date-time is "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with "Z" or an
 * offset ("+HH:MM", "-HH:MM", "+HHMM"); a space may stand for the "T" (as R's format()
 * writes), and without an offset the time is read in the model's time zone. Each is
 * checked by a precompiled pattern, then field by field on the calendar (2024-02-30 is
 * refused), without allocating.
 */

export const DATE_MESSAGE = 'must be a date (YYYY-MM-DD)';
export const DATETIME_MESSAGE = 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)';
export const difftimeMessage = (units: string): string => `must be a number (of ${units})`;

/** R's difftime units, and the seconds in each. */
export const DIFFTIME_UNITS = { secs: 1, mins: 60, hours: 3600, days: 86400, weeks: 604800 } as const;
export type DifftimeUnits = keyof typeof DIFFTIME_UNITS;
export const isDifftimeUnits = (u: unknown): u is DifftimeUnits => typeof u === 'string' && Object.hasOwn(DIFFTIME_UNITS, u);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);
const four = (s: string, i: number): number => two(s, i) * 100 + two(s, i + 2);

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether "YYYY-MM-DD" at the start of `s` (already matched) is a day of the calendar. */
function calendarDay(s: string): boolean {
  const m = two(s, 5);
  const d = two(s, 8);
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= (m === 2 && isLeap(four(s, 0)) ? 29 : (DAYS_IN_MONTH[m - 1] as number));
}

/** Days from 1970-01-01 to a day of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Whether `s` is an ISO 8601 calendar date the app accepts. */
export function isDate(s: string): boolean {
  return DATE.test(s) && calendarDay(s);
}

/** The days since 1970-01-01 of a date (as R's as.numeric() of a Date); NaN if it is not one. */
export function dateDays(s: string): number {
  return isDate(s) ? daysFromCivil(four(s, 0), two(s, 5), two(s, 8)) : NaN;
}

/** Whether a matched date-time has seconds. */
const hasSeconds = (s: string): boolean => s.charCodeAt(16) === 58; // ':'

/** Where a matched date-time's offset starts (its length when it has none): after its minutes, seconds and fraction. */
function zoneStart(s: string): number {
  if (!hasSeconds(s)) return 16;
  let p = 19;
  if (s.charCodeAt(p) === 46) { // '.'
    p++;
    while (p < s.length && s.charCodeAt(p) >= 48 && s.charCodeAt(p) <= 57) p++;
  }
  return p;
}

/** The offset from UTC in minutes at `p` ("Z", "+HH:MM", "+HHMM"; none: null); NaN if out of range. */
function offsetMinutes(s: string, p: number): number | null {
  if (p >= s.length) return null;
  if (s.charCodeAt(p) === 90) return 0; // 'Z'
  const sign = s.charCodeAt(p) === 45 ? -1 : 1; // '-'
  const hours = two(s, p + 1);
  const minutes = two(s, s.charCodeAt(p + 3) === 58 ? p + 4 : p + 3);
  return hours > 23 || minutes > 59 ? NaN : sign * (hours * 60 + minutes);
}

const clockValid = (s: string): boolean => two(s, 11) <= 23 && two(s, 14) <= 59 && (!hasSeconds(s) || two(s, 17) <= 59);

/** Whether `s` is an ISO 8601 date-time the app accepts. */
export function isDateTime(s: string): boolean {
  if (!DATE_TIME.test(s) || !calendarDay(s)) return false;
  return clockValid(s) && !Number.isNaN(offsetMinutes(s, zoneStart(s)));
}

/** A matched date-time's wall-clock reading as seconds since 1970-01-01 (whole seconds), its offset aside. */
const wallSeconds = (s: string): number =>
  daysFromCivil(four(s, 0), two(s, 5), two(s, 8)) * 86400 + two(s, 11) * 3600 + two(s, 14) * 60 + (hasSeconds(s) ? two(s, 17) : 0);

/**
 * The seconds since 1970-01-01 UTC of a date-time (as R's as.numeric() of a POSIXct); one
 * without an offset is read in `timezone`. NaN if `s` is not a date-time.
 */
export function dateTimeSeconds(s: string, timezone: string): number {
  if (!isDateTime(s)) return NaN;
  const zone = zoneStart(s);
  let fraction = 0;
  let scale = 0.1;
  for (let i = 20; i < zone; i++, scale /= 10) fraction += digit(s, i) * scale;
  const wall = wallSeconds(s);
  const offset = offsetMinutes(s, zone);
  return (offset === null ? wallToUtc(wall, timezone) : wall - offset * 60) + fraction;
}

/**
 * Whether a date-time names a time of `timezone`: one with an offset always does; one
 * without does unless the zone's clocks skip it (2024-03-10 02:30 in New York, when
 * daylight saving time starts), as R refuses it.
 */
export function isDateTimeIn(s: string, timezone: string): boolean {
  if (!isDateTime(s)) return false;
  if (isUtcZone(timezone) || offsetMinutes(s, zoneStart(s)) !== null) return true;
  const wall = wallSeconds(s);
  const utc = wallToUtc(wall, timezone);
  return utc + zoneOffset(timezone, utc) === wall;
}

const UTC_ZONES = new Set(['UTC', 'GMT', 'Etc/UTC', 'Etc/GMT', 'Z', '']);
/** Whether a zone's clock is UTC's all year (no time is skipped or repeated). */
export const isUtcZone = (timezone: string): boolean => UTC_ZONES.has(timezone);
const formats = new Map<string, Intl.DateTimeFormat | null>();
/** Offsets by zone and quarter hour, so that a column of times asks Intl once per quarter hour. */
const offsets = new Map<string, Map<number, number>>();
const QUARTER_HOUR = 900;
const MAX_CACHED = 4096;

function zoneFormat(timezone: string): Intl.DateTimeFormat | null {
  let format = formats.get(timezone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      // A zone Intl does not know is read as UTC, as R reads an unknown TZ.
      format = null;
    }
    formats.set(timezone, format);
  }
  return format;
}

/** The offset of `timezone` from UTC, in seconds, at `utc` (seconds since the epoch). */
export function zoneOffset(timezone: string, utc: number): number {
  if (isUtcZone(timezone)) return 0;
  const format = zoneFormat(timezone);
  if (!format || !Number.isFinite(utc)) return 0;
  const key = Math.floor(utc / QUARTER_HOUR);
  let cache = offsets.get(timezone);
  if (!cache) offsets.set(timezone, (cache = new Map()));
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const at = key * QUARTER_HOUR;
  const part: Record<string, number> = {};
  for (const p of format.formatToParts(at * 1000)) if (p.type !== 'literal') part[p.type] = Number(p.value);
  const wall = daysFromCivil(part.year as number, part.month as number, part.day as number) * 86400 + (part.hour as number) * 3600 + (part.minute as number) * 60 + (part.second as number);
  const offset = wall - at;
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, offset);
  return offset;
}

/** The instant (seconds since the epoch) of a wall-clock time in `timezone` (a time skipped or repeated by a clock change: one of its readings). */
export function wallToUtc(wall: number, timezone: string): number {
  const first = wall - zoneOffset(timezone, wall);
  return wall - zoneOffset(timezone, first);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Days since 1970-01-01 as "YYYY-MM-DD". */
export function formatDays(days: number): string {
  const d = new Date(Math.floor(days) * 86_400_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** An instant as "YYYY-MM-DDTHH:MM:SS" on the wall clock of `timezone` (fractions of a second dropped). */
export function formatWall(utc: number, timezone: string): string {
  const local = Math.floor(utc + zoneOffset(timezone, utc));
  const s = ((local % 86400) + 86400) % 86400;
  return `${formatDays(Math.floor(local / 86400))}T${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** An offset in seconds as "+HH:MM". */
export function formatOffset(seconds: number): string {
  const m = Math.round(Math.abs(seconds) / 60);
  return `${seconds < 0 ? '-' : '+'}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}
