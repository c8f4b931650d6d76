import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

/** GET /api/health/live: the app's process answers. */
export async function healthLive(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'live' } };
}

app.http('healthLive', { route: 'health/live', methods: ['GET'], authLevel: 'anonymous', handler: healthLive });
