import { AppError } from '../errors.js';
import type { AliasMove, ModelIndex, ModelStore } from '../storage/modelStore.js';
import { isValidName } from './names.js';
import { knownVersions, modelNotFound, versionNotFound } from './notFound.js';
import { routeVersions, storedTarget, type TrafficRoute } from './traffic.js';

/**
 * The rules for changing a model's aliases and versions, one place for the admin routes
 * and `npm run model`: names are plain, the version an alias moves to exists, `latest`
 * stays, and a version is deleted only once no alias points at it. Each move is recorded in
 * the model's history by the store.
 */

export function checkNames(...values: (string | undefined)[]): string[] {
  for (const v of values) if (!v || !isValidName(v)) throw new AppError('invalid_request', `"${v}" is not a valid model, version or alias name.`);
  return values as string[];
}

/** A model's versions and aliases, or 404. */
export async function existingModel(store: ModelStore, name: string): Promise<ModelIndex> {
  checkNames(name);
  const index = await store.getIndex(name);
  if (!index) throw modelNotFound(name, await store.listModelNames().catch(() => []));
  return index;
}

/**
 * Points an alias at an existing version (promote, roll back), or at versions by weight
 * with an optional shadow (a rollout): every version it names must exist.
 */
export async function pointAlias(store: ModelStore, name: string, alias: string, target: string | TrafficRoute, by: string, form: 'version' | 'versions' = typeof target === 'string' ? 'version' : 'versions'): Promise<AliasMove> {
  const route: TrafficRoute = typeof target === 'string' ? { versions: { [target]: 1 } } : target;
  checkNames(name, alias, ...routeVersions(route));
  const { versions, aliases } = await existingModel(store, name);
  const missing = routeVersions(route).filter((v) => !versions.includes(v));
  if (missing.length > 0) {
    const pointer = (v: string) => (route.shadow?.version === v ? '/shadow/version' : form === 'version' ? '/version' : `/versions/${v}`);
    throw new AppError('version_not_found', `Model "${name}" has no version ${missing.map((v) => `"${v}"`).join(', ')}. ${knownVersions({ versions, aliases })}`, {
      errors: missing.map((v) => ({ field: pointer(v).slice(1).replace(/\//g, '.'), message: 'is not a version of this model', pointer: pointer(v) })),
    });
  }
  return store.moveAlias(name, alias, storedTarget(route), by);
}

/** Removes an alias; `latest` stays, as it names the newest version. */
export async function removeAlias(store: ModelStore, name: string, alias: string, by: string): Promise<AliasMove> {
  checkNames(name, alias);
  if (alias === 'latest') throw new AppError('alias_protected', 'The alias "latest" cannot be removed: it names the newest version.');
  if (!Object.hasOwn((await existingModel(store, name)).aliases, alias)) throw new AppError('alias_not_found', `Model "${name}" has no alias "${alias}".`);
  return store.moveAlias(name, alias, null, by);
}

/** Deletes a version no alias points at. */
export async function removeVersion(store: ModelStore, name: string, version: string): Promise<void> {
  checkNames(name, version);
  const index = await existingModel(store, name);
  if (!index.versions.includes(version)) throw versionNotFound(name, version, index, 'version');
  const pointing = Object.entries(index.routes).filter(([, r]) => routeVersions(r).includes(version)).map(([a]) => a);
  if (pointing.length > 0) {
    const one = pointing.length === 1;
    throw new AppError('version_in_use', `Version "${version}" of "${name}" is what ${one ? 'its alias' : 'its aliases'} "${pointing.join(', ')}" point${one ? 's' : ''} at: move ${one ? 'it' : 'them'} first.`);
  }
  await store.deleteVersion(name, version);
}
