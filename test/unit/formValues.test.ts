import { describe, expect, it } from 'vitest';
import type { Feature } from '../../functions/scoring/modelSchema.js';
import { describeFeature, initialValue, valueOf, withZoneOffset } from '../../pages/console/formValues.js';

const day: Feature = { name: 'day', type: 'date', min: '2024-01-01', max: '2024-03-31' };
const at: Feature = { name: 'at', type: 'datetime', timezone: 'America/New_York', min: '2024-01-01T05:00:00Z', max: '2024-03-31T04:00:00Z', nullable: true };
const wait: Feature = { name: 'wait', type: 'difftime', units: 'days', min: 0.5, max: 3 };

describe("the score form's date, date-time and difftime inputs", () => {
  it("send a date as the date input's text, a difftime as a number", () => {
    expect(valueOf(day, '2024-02-15')).toBe('2024-02-15');
    expect(valueOf(day, '')).toBeNull();
    expect(valueOf(wait, '1.5')).toBe(1.5);
    expect(valueOf(wait, '')).toBeNull();
  });

  it("send a date-time on the model's wall clock with that zone's offset then", () => {
    expect(valueOf(at, '2024-02-15T10:30')).toBe('2024-02-15T10:30:00-05:00');
    expect(valueOf(at, '2024-07-15T10:30:05')).toBe('2024-07-15T10:30:05-04:00');
    expect(valueOf(at, '')).toBeNull();
    expect(withZoneOffset('2024-02-15T10:30', 'UTC')).toBe('2024-02-15T10:30:00+00:00');
    expect(withZoneOffset('2024-02-15T10:30', 'Asia/Kolkata')).toBe('2024-02-15T10:30:00+05:30');
    expect(withZoneOffset('soon', 'UTC')).toBeUndefined();
  });

  it("start from the example's instant on the model's wall clock", () => {
    expect(initialValue(at, '2024-02-15T15:30:00Z')).toBe('2024-02-15T10:30:00');
    expect(initialValue(at, '2024-02-15 10:30:00')).toBe('2024-02-15T10:30:00');
    expect(initialValue(day, '2024-02-15')).toBe('2024-02-15');
    expect(initialValue(wait, 1.5)).toBe('1.5');
  });

  it('say what they take, with the time zone, the units and the training range', () => {
    expect(describeFeature(day)).toBe('date; seen in training from 2024-01-01 to 2024-03-31; required');
    expect(describeFeature(at)).toBe('date and time in America/New_York; seen in training from 2024-01-01 00:00:00 to 2024-03-31 00:00:00; may be left empty');
    expect(describeFeature(wait)).toBe('number of days; seen in training from 0.5 to 3; required');
  });
});
