import { AppError } from '../errors.js';

/**
 * The 404s for a model or a version that does not exist, naming the ones that do (the
 * first KNOWN_MAX of each, then how many more), so a typo is seen at once.
 */
export const KNOWN_MAX = 20;

/** `"a", "b" and 3 more`, or `none`. */
export function someNames(names: readonly string[], max = KNOWN_MAX): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

export function modelNotFound(name: string, models: readonly string[]): AppError {
  return new AppError('model_not_found', `There is no model named "${name}". Models: ${someNames(models)}.`);
}

/** `ref`: the version or alias asked for (`what` says how it was meant, e.g. `version or alias`). */
export function versionNotFound(name: string, ref: string, index: { versions: readonly string[]; aliases: Record<string, unknown> }, what = 'version or alias'): AppError {
  return new AppError('version_not_found', `Model "${name}" has no ${what} "${ref}". ${knownVersions(index)}`);
}

/** `Versions: "1", "2". Aliases: "latest".` */
export function knownVersions(index: { versions: readonly string[]; aliases: Record<string, unknown> }): string {
  return `Versions: ${someNames(index.versions)}. Aliases: ${someNames(Object.keys(index.aliases))}.`;
}
