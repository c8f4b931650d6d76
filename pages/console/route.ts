/** The console's views, from the address's hash (#/models/boston-rf/1): links work with the keyboard and the back button. */
import { useEffect, useState } from 'preact/hooks';

export const VIEWS = ['models', 'traffic', 'batches', 'monitoring'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  /** The path's further segments, decoded: for models, a model name and a version. */
  params: string[];
}

export function parseHash(hash: string): Route {
  const [first, ...rest] = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const view = VIEWS.find((v) => v === first) ?? 'models';
  const params = rest.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { view, params: view === first ? params : [] };
}

export function href(view: View, ...params: string[]): string {
  return `#/${[view, ...params.map(encodeURIComponent)].join('/')}`;
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
