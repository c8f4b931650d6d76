import { describe, expect, it } from 'vitest';
import { dateDays, dateTimeSeconds, formatDays, formatOffset, formatWall, isDate, isDateTime, isDateTimeIn, wallToUtc, zoneOffset } from '../../functions/scoring/timeInputs.js';

const utcSeconds = (iso: string) => Date.parse(iso) / 1000;

describe('dates', () => {
  it.each(['2024-02-15', '2024-02-29', '2000-02-29', '1970-01-01', '0001-01-01', '9999-12-31'])('takes %s', (s) => {
    expect(isDate(s)).toBe(true);
  });

  it.each([
    ['a day past the month', '2024-02-30'],
    ['29 February of a common year', '2023-02-29'],
    ['29 February of a century not divisible by 400', '1900-02-29'],
    ['month 13', '2024-13-01'],
    ['month 0', '2024-00-10'],
    ['day 0', '2024-01-00'],
    ['31 April', '2024-04-31'],
    ['one-digit fields', '2024-1-5'],
    ['a date-time', '2024-01-05T00:00'],
    ['a leading space', ' 2024-01-05'],
    ['the basic format', '20240105'],
    ['a date and a newline', '2024-01-05\n'],
  ])('refuses %s', (_label, s) => {
    expect(isDate(s)).toBe(false);
    expect(dateDays(s)).toBeNaN();
  });

  it("counts days since 1970-01-01 as R's as.numeric() of a Date does", () => {
    expect(dateDays('1970-01-01')).toBe(0);
    expect(dateDays('2024-02-15')).toBe(19768);
    expect(dateDays('1969-12-31')).toBe(-1);
    expect(dateDays('0001-01-01')).toBe(-719162);
    for (let day = -80_000; day < 80_000; day += 97) {
      const text = new Date(day * 86_400_000).toISOString().slice(0, 10);
      expect(dateDays(text)).toBe(day);
      expect(formatDays(day)).toBe(text);
    }
  });
});

describe('date-times', () => {
  it.each([
    '2024-02-15T10:30:00Z',
    '2024-02-15 10:30:00',
    '2024-02-15T10:30',
    '2024-02-15T10:30Z',
    '2024-02-15T10:30:00.123456+05:30',
    '2024-02-15T10:30:00-0500',
    '2024-02-15 10:30:00+01:00',
    '2024-02-15T23:59:59+14:00',
    '2024-02-15T23:59:59-23:59',
  ])('takes %s', (s) => {
    expect(isDateTime(s)).toBe(true);
  });

  it.each([
    ['a date alone', '2024-02-15'],
    ['hour 24', '2024-02-15T24:00:00Z'],
    ['minute 60', '2024-02-15T10:60Z'],
    ['second 60', '2024-02-15T10:30:60Z'],
    ['a day past the month', '2024-02-30T10:30Z'],
    ['offset hours past 23', '2024-02-15T10:30:00+24:00'],
    ['offset minutes past 59', '2024-02-15T10:30:00+05:60'],
    ['an offset of hours only', '2024-02-15T10:30:00+05'],
    ['lower-case separators', '2024-02-15t10:30:00z'],
    ['a point without a fraction', '2024-02-15T10:30:00.Z'],
    ['a space before the offset', '2024-02-15T10:30:00 +01:00'],
    ['a fraction without seconds', '2024-02-15T10:30.5Z'],
    ['one-digit hours', '2024-02-15T9:30Z'],
  ])('refuses %s', (_label, s) => {
    expect(isDateTime(s)).toBe(false);
    expect(dateTimeSeconds(s, 'UTC')).toBeNaN();
  });

  it('reads the offset, or the time zone when there is none, as R reads a POSIXct', () => {
    expect(dateTimeSeconds('2024-02-15T10:30:00Z', 'America/New_York')).toBe(utcSeconds('2024-02-15T10:30:00Z'));
    expect(dateTimeSeconds('2024-02-15T10:30:00+0530', 'UTC')).toBe(utcSeconds('2024-02-15T10:30:00+05:30'));
    expect(dateTimeSeconds('2024-02-15 10:30', 'UTC')).toBe(utcSeconds('2024-02-15T10:30:00Z'));
    // Without an offset: the zone's standard time in February, daylight time in July.
    expect(dateTimeSeconds('2024-02-15 10:30:00', 'America/New_York')).toBe(utcSeconds('2024-02-15T10:30:00-05:00'));
    expect(dateTimeSeconds('2024-07-15 10:30:00', 'America/New_York')).toBe(utcSeconds('2024-07-15T10:30:00-04:00'));
    expect(dateTimeSeconds('2024-02-15T10:30:00.25Z', 'UTC')).toBe(utcSeconds('2024-02-15T10:30:00Z') + 0.25);
    expect(dateTimeSeconds('1969-12-31T23:59:59Z', 'UTC')).toBe(-1);
  });

  it("refuses a time without an offset that the zone's clocks skip, as R does", () => {
    // New York's clocks went from 02:00 to 03:00 on 2024-03-10.
    expect(isDateTimeIn('2024-03-10 02:30:00', 'America/New_York')).toBe(false);
    expect(isDateTimeIn('2024-03-10 01:59:59', 'America/New_York')).toBe(true);
    expect(isDateTimeIn('2024-03-10 03:00:00', 'America/New_York')).toBe(true);
    // Repeated times (clocks back on 2024-11-03) are times of the zone; an offset names any instant.
    expect(isDateTimeIn('2024-11-03 01:30:00', 'America/New_York')).toBe(true);
    expect(isDateTimeIn('2024-03-10T02:30:00-05:00', 'America/New_York')).toBe(true);
    expect(isDateTimeIn('2024-03-10 02:30:00', 'UTC')).toBe(true);
    expect(isDateTimeIn('2024-03-10 02:30:60', 'UTC')).toBe(false);
  });

  it('reads a time zone Intl does not know as UTC', () => {
    expect(zoneOffset('No/Such_Zone', 0)).toBe(0);
    expect(dateTimeSeconds('2024-02-15 10:30:00', 'No/Such_Zone')).toBe(utcSeconds('2024-02-15T10:30:00Z'));
  });

  it('writes wall-clock times and offsets of a zone', () => {
    const at = utcSeconds('2024-07-15T14:30:05Z');
    expect(formatWall(at, 'America/New_York')).toBe('2024-07-15T10:30:05');
    expect(formatOffset(zoneOffset('America/New_York', at))).toBe('-04:00');
    expect(formatOffset(zoneOffset('Asia/Kolkata', at))).toBe('+05:30');
    expect(wallToUtc(utcSeconds('2024-07-15T10:30:05Z'), 'America/New_York')).toBe(at);
  });
});
