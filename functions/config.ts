/**
 * The app's settings, read from the environment once, validated together, and frozen.
 * Nothing else reads process.env.
 */
export interface Config {
  /** The Rscript executable that runs the R handler. */
  rscript: string;
}

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

export function readConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const rscript = env.R_SCRIPT?.trim() || 'Rscript';
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ rscript });
}

let current: Config | undefined;

/** The settings of this process, read on first use. */
export function config(): Config {
  current ??= readConfig(process.env);
  return current;
}
