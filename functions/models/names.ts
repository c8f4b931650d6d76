/** Model names, versions and aliases: safe as URL path segments and blob name parts. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidName(value: string): boolean {
  return NAME.test(value) && !value.includes('..');
}

/** The files of a model version, in the order they are uploaded: model.rds last marks it complete. */
export const modelFiles = ['score.R', 'model.json', 'model.rds'] as const;
export type ModelFile = (typeof modelFiles)[number];

/** The version a model name resolves to when the request names none. */
export const defaultAliases = ['production', 'latest'] as const;
