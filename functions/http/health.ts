import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { models } from '../runtime.js';

/** GET /api/health/live: the app's process answers. */
export async function healthLive(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'live' } };
}

/**
 * GET /api/health/ready: 200 once at least one model version has a ready R worker
 * ("degraded" while some workers restart), 503 otherwise.
 */
export async function healthReady(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const pools = models().pools();
  const ready = pools.filter((p) => p.stats.ready > 0);
  const degraded = pools.some((p) => p.stats.state !== 'ready');
  const status = ready.length === 0 ? 'unavailable' : degraded ? 'degraded' : 'ready';
  return {
    status: ready.length === 0 ? 503 : 200,
    headers: ready.length === 0 ? { 'retry-after': '5' } : {},
    jsonBody: {
      status,
      models: pools.map((p) => ({ name: p.name, version: p.version, state: p.stats.state, workers: p.stats.size, readyWorkers: p.stats.ready, queued: p.stats.queued, restarts: p.stats.restarts })),
    },
  };
}

app.http('healthLive', { route: 'health/live', methods: ['GET'], authLevel: 'anonymous', handler: healthLive });
app.http('healthReady', { route: 'health/ready', methods: ['GET'], authLevel: 'anonymous', handler: healthReady });
