import { createHash } from 'node:crypto';
import { AppError, type FieldError } from '../errors.js';
import { isValidName } from './names.js';

/**
 * Where an alias sends requests, pure: one version, or versions by weight (a rollout), and
 * optionally a shadow version that also scores a share of requests after the answer. As
 * stored in `{name}/aliases.json`, an alias is a version name (the common case) or
 * `{"versions": {"3": 90, "4": 10}, "shadow": {"version": "5", "percent": 20}}`.
 */
export interface TrafficRoute {
  /** Version -> weight (relative; 90/10 reads as percent). */
  versions: Record<string, number>;
  shadow?: { version: string; percent: number };
}

/** An alias as stored: a version, or a route. */
export type AliasTarget = string | TrafficRoute;

/** A route as it is stored: a plain version name when it is one version without shadow. */
export function storedTarget(route: TrafficRoute): AliasTarget {
  const versions = Object.keys(route.versions);
  return versions.length === 1 && !route.shadow ? (versions[0] as string) : route;
}

/** The route of a stored alias; undefined for a value that is neither form. */
export function routeOf(target: unknown): TrafficRoute | undefined {
  if (typeof target === 'string') return { versions: { [target]: 1 } };
  if (!target || typeof target !== 'object') return undefined;
  const { versions, shadow } = target as Partial<TrafficRoute>;
  if (!versions || typeof versions !== 'object') return undefined;
  const weights = Object.entries(versions).filter(([v, w]) => isValidName(v) && typeof w === 'number' && w > 0);
  if (weights.length === 0) return undefined;
  const route: TrafficRoute = { versions: Object.fromEntries(weights) };
  if (shadow && typeof shadow.version === 'string' && typeof shadow.percent === 'number' && shadow.percent > 0) route.shadow = { version: shadow.version, percent: Math.min(100, shadow.percent) };
  return route;
}

/** The version a route mainly serves: the heaviest (the first of equals). */
export function primaryVersion(route: TrafficRoute): string {
  let best: [string, number] | undefined;
  for (const [v, w] of Object.entries(route.versions)) if (!best || w > best[1]) best = [v, w];
  return (best as [string, number])[0];
}

/** Every version a route runs: those it serves and its shadow. */
export function routeVersions(route: TrafficRoute): string[] {
  return [...Object.keys(route.versions), ...(route.shadow ? [route.shadow.version] : [])];
}

/**
 * The version at `point` in [0, 1): versions take consecutive shares of the unit interval
 * by weight, in the route's order, so a subject keeps its version while weights stay.
 */
export function pickVersion(route: TrafficRoute, point: number): string {
  const entries = Object.entries(route.versions);
  if (entries.length === 1) return (entries[0] as [string, number])[0];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let edge = 0;
  for (const [v, w] of entries) {
    edge += w / total;
    if (point < edge) return v;
  }
  return (entries[entries.length - 1] as [string, number])[0];
}

/** A client's subject (x-scoring-subject) as a point in [0, 1): the same subject, the same point. */
export function subjectPoint(subject: string): number {
  return createHash('sha256').update(subject).digest().readUIntBE(0, 6) / 2 ** 48;
}

const field = (name: string, message: string): FieldError => ({ field: name, message, pointer: `/${name.replace(/\./g, '/')}` });
const invalid = (errors: FieldError[]): AppError =>
  new AppError('invalid_request', 'The body must be {"version": "3"} or {"versions": {"3": 90, "4": 10}}, optionally with "shadow": {"version": "5", "percent": 20}.', { errors });

const NAME_A_VERSION = 'must name a version: a string such as "3" (or a whole number, 3)';

/** A version as a body may give it: its name, or a whole number for a numbered version (`4` is "4"). */
function versionName(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return typeof value === 'string' && isValidName(value) ? value : undefined;
}

/**
 * Reads the body of an alias move into a route, naming each bad member: `{"version"}` (a
 * name, or a whole number: `{"version": 4}` is version "4"),
 * or `{"versions": {version: weight}}`, either with an optional `shadow`. Weights are
 * relative (positive numbers); a shadow percent is above 0 and at most 100; the shadow
 * version is not one the alias serves.
 */
export function readRouteBody(body: unknown): TrafficRoute {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid([field('version', NAME_A_VERSION)]);
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  let versions: Record<string, number> = {};
  if (b.version !== undefined && b.versions !== undefined) errors.push(field('versions', 'give either "version" or "versions", not both'));
  else if (b.versions !== undefined) {
    if (!b.versions || typeof b.versions !== 'object' || Array.isArray(b.versions) || Object.keys(b.versions).length === 0) {
      errors.push(field('versions', 'must map versions to weights, e.g. {"3": 90, "4": 10}'));
    } else {
      for (const [v, w] of Object.entries(b.versions as Record<string, unknown>)) {
        if (!isValidName(v)) errors.push(field(`versions.${v}`, 'is not a valid version name'));
        else if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) errors.push(field(`versions.${v}`, 'must be a weight: a number, 0 or more'));
        else if (w > 0) versions[v] = w;
      }
      if (errors.length === 0 && Object.keys(versions).length === 0) errors.push(field('versions', 'must give at least one version a weight above 0'));
    }
  } else {
    const version = versionName(b.version);
    if (version !== undefined) versions = { [version]: 1 };
    else errors.push(field('version', NAME_A_VERSION));
  }
  const route: TrafficRoute = { versions };
  if (b.shadow !== undefined && b.shadow !== null) {
    const s = b.shadow as Record<string, unknown>;
    if (typeof s !== 'object' || Array.isArray(s)) errors.push(field('shadow', 'must be {"version": "5", "percent": 20}'));
    else {
      const version = versionName(s.version);
      if (version === undefined) errors.push(field('shadow.version', NAME_A_VERSION));
      else if (Object.hasOwn(versions, version)) errors.push(field('shadow.version', 'is served by this alias already; a shadow scores a version the alias does not serve'));
      const percent = s.percent ?? 100;
      if (typeof percent !== 'number' || !(percent > 0 && percent <= 100)) errors.push(field('shadow.percent', 'must be a number above 0 and at most 100'));
      if (errors.length === 0) route.shadow = { version: version as string, percent: percent as number };
    }
  }
  for (const key of Object.keys(b)) if (!['version', 'versions', 'shadow'].includes(key)) errors.push(field(key, 'is not a member of an alias'));
  if (errors.length > 0) throw invalid(errors);
  return route;
}
