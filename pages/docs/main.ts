/**
 * The API reference at /api/docs/: Swagger UI over the app's OpenAPI document, with "Try it
 * out" on every route. The document (GET /api/openapi.json) needs a key, as every route but
 * health does, so the page opens with only the Authorize dialog and loads the document with
 * the key the user authorizes. The key stays in this page's memory: it is never stored
 * (persistAuthorization is off) and reloading the page forgets it.
 */
import SwaggerUI, { type System } from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

/** /api/openapi.json, from /api/docs/ whatever the route prefix. */
const specUrl = new URL('../openapi.json', window.location.href).href;

const securitySchemes = {
  functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'A function key: scoring, models, batches' },
  masterKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'The master key (admin routes)' },
};

/** What the page shows until a key is accepted: the dialog to give one (and why the last one failed). */
function keyFirst(refused?: string): object {
  const description =
    (refused ? `**${refused}**\n\n` : '') +
    '**Nothing is listed until you give a key** (hence "No operations defined in spec!" below): click **Authorize** and give a function key (or the master key) to load this service\'s API: its models, each with its typed request body, scoring, batches and admin routes. ' +
    'The key stays in this page\'s memory only: it is not stored, and reloading the page forgets it.';
  return { openapi: '3.1.0', info: { title: 'R scoring service', version: '1.0.0', description }, paths: {}, components: { securitySchemes } };
}

/** The key the user authorized (a function key before the master key), if any. */
function authorizedKey(system: System): string | undefined {
  const authorized = system.authSelectors.authorized();
  return (authorized.getIn(['functionKey', 'value']) ?? authorized.getIn(['masterKey', 'value'])) as string | undefined;
}

/**
 * Loads the API's document with the authorized key. A refused key is logged out again and
 * the dialog stays available, where Swagger UI's own loader would leave only its error.
 */
async function loadSpec(system: System): Promise<void> {
  const key = authorizedKey(system);
  if (!key) return;
  let refused: string;
  try {
    const res = await fetch(specUrl, { headers: { 'x-functions-key': key, accept: 'application/json' } });
    if (res.ok) {
      system.specActions.updateUrl(specUrl);
      system.specActions.updateSpec(await res.text());
      return;
    }
    refused = res.status === 401 ? 'That key was refused (401).' : `Loading the API failed (${res.status}).`;
  } catch (err) {
    refused = `Loading the API failed: ${(err as Error).message}.`;
  }
  system.authActions.logout(Object.keys(securitySchemes));
  system.specActions.updateSpec(JSON.stringify(keyFirst(refused)));
}

/** Authorizing a key loads the document, until it has loaded. */
const loadSpecOnAuthorize = () => ({
  statePlugins: {
    auth: {
      wrapActions: {
        authorize:
          (authorize: (...args: unknown[]) => unknown, system: System) =>
          (...args: unknown[]) => {
            const result = authorize(...args);
            if (system.specSelectors.url() !== specUrl) void loadSpec(system);
            return result;
          },
      },
    },
  },
});

SwaggerUI({
  dom_id: '#swagger-ui',
  spec: keyFirst(),
  deepLinking: true,
  persistAuthorization: false,
  supportedSubmitMethods: ['get', 'put', 'post', 'delete'],
  // No badge from validator.swagger.io, and no ?url= or ?configUrl= that could make the page load another document.
  validatorUrl: null,
  queryConfigEnabled: false,
  displayRequestDuration: true,
  plugins: [loadSpecOnAuthorize],
});
