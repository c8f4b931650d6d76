// The little of Swagger UI's API this page uses (swagger-ui-dist ships no types).
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  /** An Immutable.js map, as Swagger UI's selectors return them. */
  interface ImmutableMap {
    getIn(path: string[]): unknown;
  }
  export interface System {
    authSelectors: { authorized(): ImmutableMap };
    authActions: { logout(names: string[]): void };
    specSelectors: { url(): string };
    /** updateSpec takes the document's text (JSON or YAML). */
    specActions: { updateUrl(url: string): void; updateSpec(text: string): void };
  }
  type Plugin = () => { statePlugins: Record<string, { wrapActions: Record<string, (action: (...args: unknown[]) => unknown, system: System) => (...args: unknown[]) => unknown> }> };
  export interface Options {
    dom_id: string;
    spec?: object;
    url?: string;
    deepLinking?: boolean;
    persistAuthorization?: boolean;
    tryItOutEnabled?: boolean;
    supportedSubmitMethods?: string[];
    validatorUrl?: string | null;
    queryConfigEnabled?: boolean;
    displayRequestDuration?: boolean;
    plugins?: Plugin[];
  }
  export default function SwaggerUI(options: Options): System;
}

declare module '*.css';
