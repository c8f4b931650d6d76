/** Matching request paths against Functions route templates ("models/{name}/score"). */

export interface RouteMatch {
  params: Record<string, string>;
}

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
}

const parsed = new Map<string, Segment[]>();

function parseTemplate(template: string): Segment[] {
  let segments = parsed.get(template);
  if (!segments) {
    segments = parseSegments(template);
    parsed.set(template, segments);
  }
  return segments;
}

function parseSegments(template: string): Segment[] {
  return template
    .split('/')
    .filter(Boolean)
    .map((s) => {
      const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\?)?\}$/.exec(s);
      if (!m) return { literal: s.toLowerCase() };
      return { param: m[2] as string, catchAll: m[1] === '*', optional: m[3] === '?' };
    });
}

/** Params of `path` (without the /api prefix) if it matches `template`. Literals match case-insensitively. */
export function matchRoute(template: string, path: string): RouteMatch | undefined {
  const segments = parseTemplate(template);
  const parts = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as Segment;
    const part = parts[i];
    if (seg.catchAll) {
      params[seg.param as string] = parts.slice(i).map(decodeURIComponent).join('/');
      return { params };
    }
    if (part === undefined) {
      if (seg.optional) continue;
      return undefined;
    }
    if (seg.literal !== undefined) {
      if (seg.literal !== part.toLowerCase()) return undefined;
    } else {
      params[seg.param as string] = decodeURIComponent(part);
    }
  }
  return parts.length <= segments.length ? { params } : undefined;
}

/** Templates with more literal segments win, as in the host's router. */
export function routeSpecificity(template: string): number {
  return parseTemplate(template).reduce((n, s) => n + (s.literal !== undefined ? 2 : s.catchAll ? 0 : 1), 0);
}
