/**
 * The traffic form's state, pure: read from an alias's current route, and made into the
 * body of PUT /api/models/{name}/aliases/{alias}.
 */
import type { AliasBody } from './api';
import type { ModelSummary, TrafficRoute } from './types';

export interface RouteForm {
  mode: 'version' | 'split';
  version: string;
  /** Weight per version, as typed ('' or 0: not served). */
  weights: Record<string, string>;
  shadow: boolean;
  shadowVersion: string;
  shadowPercent: string;
}

/** The alias's route now, or undefined for an alias the model does not have. */
export function currentRoute(model: ModelSummary, alias: string): TrafficRoute | undefined {
  if (!Object.hasOwn(model.aliases, alias)) return undefined;
  return model.traffic[alias] ?? { versions: { [model.aliases[alias] as string]: 1 } };
}

/** The form as the alias stands (a new alias: the newest version). */
export function formFor(model: ModelSummary, alias: string): RouteForm {
  const route = currentRoute(model, alias);
  const newest = model.versions[model.versions.length - 1] ?? '';
  const served = route ? Object.keys(route.versions) : [newest];
  const split = served.length > 1;
  return {
    mode: split ? 'split' : 'version',
    version: split ? newest : (served[0] ?? newest),
    weights: Object.fromEntries(model.versions.map((v) => [v, String(split ? (route?.versions[v] ?? 0) : v === served[0] ? 100 : 0)])),
    shadow: route?.shadow !== undefined,
    shadowVersion: route?.shadow?.version ?? model.versions.find((v) => !served.includes(v)) ?? newest,
    shadowPercent: String(route?.shadow?.percent ?? 10),
  };
}

/** The body the app takes; values are sent as typed (the app names what is wrong). */
export function bodyOf(form: RouteForm): AliasBody {
  const shadow = form.shadow ? { shadow: { version: form.shadowVersion, percent: Number(form.shadowPercent) } } : {};
  if (form.mode === 'version') return { version: form.version, ...shadow };
  const versions = Object.fromEntries(
    Object.entries(form.weights)
      .map(([v, w]) => [v, Number(w)] as const)
      .filter(([, w]) => w !== 0 && w.toString() !== 'NaN'),
  );
  return { versions, ...shadow };
}

/** The route a body asks for, to show it before it is sent. */
export function routeOfBody(body: AliasBody): TrafficRoute {
  const versions = 'version' in body ? { [body.version]: 1 } : body.versions;
  return body.shadow ? { versions, shadow: body.shadow } : { versions };
}

/** Whether two routes send the same shares to the same versions, with the same shadow. */
export function sameRoute(a: TrafficRoute | undefined, b: TrafficRoute): boolean {
  if (!a) return false;
  const shares = (r: TrafficRoute) => {
    const total = Object.values(r.versions).reduce((s, w) => s + w, 0);
    return JSON.stringify(Object.entries(r.versions).map(([v, w]) => [v, w / total]).sort());
  };
  return shares(a) === shares(b) && JSON.stringify(a.shadow ?? null) === JSON.stringify(b.shadow ?? null);
}
