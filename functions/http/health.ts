import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { readinessOf, servesTraffic, type Readiness } from '../models/readiness.js';
import { models, preloader } from '../runtime.js';

/** GET /api/health/live: the app's process answers. */
export async function healthLive(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'live' } };
}

/** What readiness is made of: the state of the pools of the versions loaded, and the preloads. */
function readiness(): { status: Readiness; pools: ReturnType<ReturnType<typeof models>['pools']> } {
  const registry = models();
  const pools = registry.pools();
  return { status: readinessOf(pools.map((p) => p.stats), { warming: preloader().warming, loading: registry.loading }), pools };
}

/**
 * GET /api/health/ready (no key, for the platform's probes): 503 while the instance should
 * not be given requests (`starting`: a preloaded model's first try under way; `unavailable`:
 * versions loaded and no R worker ready), else 200 (`ready`, `degraded` while some workers
 * restart, `idle` when nothing is loaded: R starts on the first request). A preloaded model
 * that cannot load does not keep the instance out (it is tried again in the background), or
 * nobody could publish it. It names no model: which versions run, and how often they
 * restarted, is behind a key (/api/health/models).
 */
export async function healthReady(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const { status } = readiness();
  const serves = servesTraffic(status);
  return { status: serves ? 200 : 503, headers: serves ? {} : { 'retry-after': '5' }, jsonBody: { status } };
}

/** GET /api/health/models (function key): the readiness, and each loaded version's workers. */
export async function healthModels(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const { status, pools } = readiness();
  return {
    status: 200,
    jsonBody: {
      status,
      models: pools.map((p) => ({ name: p.name, version: p.version, state: p.stats.state, workers: p.stats.size, readyWorkers: p.stats.ready, queued: p.stats.queued, restarts: p.stats.restarts })),
    },
  };
}

app.http('healthLive', { route: 'health/live', methods: ['GET'], authLevel: 'anonymous', handler: healthLive });
app.http('healthReady', { route: 'health/ready', methods: ['GET'], authLevel: 'anonymous', handler: healthReady });
app.http('healthModels', { route: 'health/models', methods: ['GET'], authLevel: 'function', handler: healthModels });
