import { describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/errors.js';
import { pickVersion, primaryVersion, readRouteBody, routeOf, routeVersions, storedTarget, subjectPoint } from '../../functions/models/traffic.js';

const errorsOf = (body: unknown) => {
  try {
    readRouteBody(body);
    return [];
  } catch (err) {
    return (err as AppError).errors.map((e) => e.pointer);
  }
};

describe('traffic routes', () => {
  it('reads a version, a split and a shadow', () => {
    expect(readRouteBody({ version: '3' })).toEqual({ versions: { '3': 1 } });
    expect(readRouteBody({ versions: { '3': 90, '4': 10 } })).toEqual({ versions: { '3': 90, '4': 10 } });
    expect(readRouteBody({ version: '3', shadow: { version: '5', percent: 20 } })).toEqual({ versions: { '3': 1 }, shadow: { version: '5', percent: 20 } });
    // A zero weight drops the version: a rollback to one version.
    expect(readRouteBody({ versions: { '3': 100, '4': 0 } })).toEqual({ versions: { '3': 100 } });
  });

  it('takes a whole number for a numbered version, and says what a version must be', () => {
    expect(readRouteBody({ version: 4 })).toEqual({ versions: { '4': 1 } });
    expect(readRouteBody({ version: '3', shadow: { version: 5, percent: 20 } })).toEqual({ versions: { '3': 1 }, shadow: { version: '5', percent: 20 } });
    for (const bad of [4.5, -1, true, null, '../x']) {
      try {
        readRouteBody({ version: bad });
        expect.unreachable(`version ${String(bad)} accepted`);
      } catch (err) {
        expect((err as AppError).errors).toEqual([{ field: 'version', message: 'must name a version: a string such as "3" (or a whole number, 3)', pointer: '/version' }]);
      }
    }
  });

  it('names each bad member of a body', () => {
    expect(errorsOf({})).toEqual(['/version']);
    expect(errorsOf({ versions: { '3': -1, 'a/b': 5 } })).toEqual(['/versions/3', '/versions/a/b']);
    expect(errorsOf({ versions: { '3': 0 } })).toEqual(['/versions']);
    expect(errorsOf({ version: '3', versions: { '3': 1 } })).toEqual(['/versions']);
    expect(errorsOf({ version: '3', shadow: { version: '3', percent: 20 } })).toEqual(['/shadow/version']);
    expect(errorsOf({ version: '3', shadow: { version: '5', percent: 120 } })).toEqual(['/shadow/percent']);
    expect(errorsOf({ version: '3', weights: 1 })).toEqual(['/weights']);
    expect(errorsOf([1])).toEqual(['/version']);
  });

  it('stores one version without shadow as its name, anything else as the route', () => {
    expect(storedTarget({ versions: { '3': 1 } })).toBe('3');
    const split = { versions: { '3': 90, '4': 10 } };
    expect(storedTarget(split)).toBe(split);
    expect(routeOf('3')).toEqual({ versions: { '3': 1 } });
    expect(routeOf(split)).toEqual(split);
    expect(routeOf({ versions: {} })).toBeUndefined();
    expect(routeOf(42)).toBeUndefined();
  });

  it('picks versions by consecutive shares of the unit interval', () => {
    const route = { versions: { '3': 90, '4': 10 }, shadow: { version: '5', percent: 5 } };
    expect(pickVersion(route, 0)).toBe('3');
    expect(pickVersion(route, 0.899)).toBe('3');
    expect(pickVersion(route, 0.9)).toBe('4');
    expect(pickVersion(route, 0.99999)).toBe('4');
    expect(primaryVersion(route)).toBe('3');
    expect(primaryVersion({ versions: { '3': 10, '4': 90 } })).toBe('4');
    expect(routeVersions(route)).toEqual(['3', '4', '5']);
  });

  it('gives a subject the same point every time, and subjects spread evenly', () => {
    expect(subjectPoint('customer-1')).toBe(subjectPoint('customer-1'));
    const points = Array.from({ length: 4000 }, (_, i) => subjectPoint(`customer-${i}`));
    expect(points.every((p) => p >= 0 && p < 1)).toBe(true);
    const below = points.filter((p) => p < 0.1).length;
    // Binomial(4000, 0.1): mean 400, sd 19.
    expect(below).toBeGreaterThan(300);
    expect(below).toBeLessThan(500);
  });
});
