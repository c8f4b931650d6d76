import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { models } from '../runtime.js';

/** GET /api/health/live: the app's process answers. */
export async function healthLive(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'live' } };
}

/** What readiness is made of: the state of the pools of the versions loaded. */
function readiness(): { status: 'ready' | 'degraded' | 'unavailable'; pools: ReturnType<ReturnType<typeof models>['pools']> } {
  const pools = models().pools();
  const ready = pools.some((p) => p.stats.ready > 0);
  const degraded = pools.some((p) => p.stats.state !== 'ready');
  return { status: !ready ? 'unavailable' : degraded ? 'degraded' : 'ready', pools };
}

/**
 * GET /api/health/ready (no key, for the platform's probes): 200 once at least one model
 * version has a ready R worker ("degraded" while some workers restart), 503 otherwise. It
 * names no model: which versions run, and how often they restarted, is behind a key
 * (/api/health/models).
 */
export async function healthReady(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const { status } = readiness();
  return { status: status === 'unavailable' ? 503 : 200, headers: status === 'unavailable' ? { 'retry-after': '5' } : {}, jsonBody: { status } };
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
