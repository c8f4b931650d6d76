import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AppError, badQuery } from '../errors.js';
import { isValidName } from '../models/names.js';
import { routeVersions } from '../models/traffic.js';
import { models, monitor } from '../runtime.js';
import { answerError } from './respond.js';

/** Longest window a report covers: counts are kept per hour, read from every instance. */
const MAX_WINDOW_MINUTES = 24 * 60;

/** `window`: minutes (`90`), or `15m`, `6h`; one hour when absent. */
export function readWindow(raw: string | null): number {
  if (raw === null || raw === '') return 60;
  const m = /^(\d{1,5})([mh]?)$/.exec(raw.trim());
  const minutes = m ? Number(m[1]) * (m[2] === 'h' ? 60 : 1) : NaN;
  if (!(minutes >= 1 && minutes <= MAX_WINDOW_MINUTES)) throw badQuery('window', `must be a duration from 1m to ${MAX_WINDOW_MINUTES / 60}h, such as 15m, 90 or 6h`);
  return minutes;
}

/**
 * GET /api/models/{name}/monitoring?version=&window=: over the window, merged across
 * instances, each version's requests, errors by code, latency percentiles, each input's
 * live distribution next to its training reference with its PSI and a drift flag, the
 * shadow comparison, and the prediction log's written and dropped rows; with the model's
 * aliases and traffic split now. `version` may name a version or an alias (its versions).
 */
export async function getMonitoring(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const name = request.params.name as string;
    const minutes = readWindow(request.query.get('window'));
    const index = isValidName(name) ? await models().getIndex(name) : undefined;
    if (!index) throw new AppError('model_not_found', `There is no model named "${name}".`);
    const ref = request.query.get('version');
    let versions: string[] | undefined;
    if (ref !== null) {
      if (!isValidName(ref)) throw badQuery('version', 'must name a version or an alias');
      const route = Object.hasOwn(index.routes, ref) ? index.routes[ref] : undefined;
      versions = index.versions.includes(ref) ? [ref] : route ? routeVersions(route) : undefined;
      if (!versions) throw new AppError('version_not_found', `Model "${name}" has no version or alias "${ref}".`);
    }
    const report = await monitor().report(name, versions, minutes * 60_000);
    return { status: 200, jsonBody: { ...report, aliases: index.aliases, traffic: index.routes } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('getMonitoring', { route: 'models/{name}/monitoring', methods: ['GET'], authLevel: 'function', handler: getMonitoring });
