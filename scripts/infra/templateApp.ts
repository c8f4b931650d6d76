import { DeployTime, parseExpression, Secret } from './armExpression.js';
import type { ArmResource, ResolvedResource, ResolvedTemplate } from './resolveTemplate.js';

/** The function app in a resolved template, and the settings it is given. Pure. */
export interface TemplateApp {
  resource: ResolvedResource;
  /** The resource as the template has it, expressions unevaluated. */
  raw: ArmResource;
  /** The app's container (Container Apps) or site config (App Service), as deployed. */
  container: Record<string, unknown>;
  /** The settings as deployed with these parameters (empty ones left out, where the template leaves them out). */
  settings: { name: string; value: unknown }[];
  /** The settings the template lists, before any are left out for being empty. */
  declared: { name: string; value: unknown }[];
}

/** Reads a path of properties (`properties.template.scale`), undefined where any step is missing. */
export function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const isFunctionApp = (r: { type: string; kind?: unknown }) =>
  (r.type === 'Microsoft.App/containerApps' || r.type === 'Microsoft.Web/sites') && String(r.kind ?? '').includes('functionapp');

/** The one function app the template deploys (a container app or a site of kind functionapp), else why not. */
export function findApp(t: ResolvedTemplate): TemplateApp | string {
  const apps = t.resources.filter((r) => isFunctionApp({ type: r.type, kind: r.value.kind }));
  if (apps.length !== 1) return `expected one function app (Microsoft.App/containerApps or Microsoft.Web/sites of kind functionapp), found ${apps.length}`;
  const resource = apps[0] as ResolvedResource;
  const raw = (Array.isArray(t.template.resources) ? t.template.resources : Object.values(t.template.resources)).find((r: ArmResource) => isFunctionApp(r)) as ArmResource;
  if (resource.type === 'Microsoft.Web/sites') {
    const container = (at(resource.value, 'properties.siteConfig') ?? {}) as Record<string, unknown>;
    const settings = (container.appSettings ?? []) as { name: string; value: unknown }[];
    return { resource, raw, container, settings, declared: settings };
  }
  const containers = at(resource.value, 'properties.template.containers');
  if (!Array.isArray(containers) || containers.length !== 1) return `expected the app to run one container, found ${Array.isArray(containers) ? containers.length : 'none'}`;
  const container = containers[0] as Record<string, unknown>;
  const env = container.env;
  if (!Array.isArray(env)) return `the app's settings (env) are known only at deployment: ${env instanceof DeployTime || env instanceof Secret ? env.expression : typeof env}`;
  // env: filter(createArray(...), lambda(...)) leaves the empty settings out: what it filters is what the template lists.
  const rawEnv = at(raw, 'properties.template.containers') as { env?: unknown }[] | undefined;
  const source = rawEnv?.[0]?.env;
  let declared = env as TemplateApp['declared'];
  if (typeof source === 'string') {
    const node = parseExpression(source);
    if (node.kind === 'call' && node.name === 'filter' && node.args[0]) {
      const listed = t.evaluate(`[${node.args[0].text}]`);
      if (Array.isArray(listed)) declared = listed as TemplateApp['declared'];
    }
  }
  return { resource, raw, container, settings: env as TemplateApp['settings'], declared };
}

/** The resources of a type that are deployed with these parameters (or may be, where only Azure knows). */
export const resourcesOf = (t: ResolvedTemplate, type: string): ResolvedResource[] => t.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase() && r.deployed !== false);

/** Every place in a value holding a Secret, as `path`, with the Secret. */
export function secretsIn(value: unknown, path = ''): { path: string; secret: Secret }[] {
  if (value instanceof Secret) return [{ path, secret: value }];
  if (value instanceof DeployTime || value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => secretsIn(v, path ? `${path}.${k}` : k));
}
