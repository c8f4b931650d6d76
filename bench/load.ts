import autocannon from 'autocannon';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
}

/** Drives `url` with autocannon: `connections` clients, each sending the same POST. */
export async function load(options: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** New connection per request (the baseline's fastest mode) instead of keep-alive. */
  noKeepAlive?: boolean;
}): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...options.headers, ...(options.noKeepAlive ? { connection: 'close' } : {}) };
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    body: options.body,
    headers,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
  });
  return {
    connections: options.connections,
    seconds: options.seconds,
    requests: result.requests.total,
    rps: Math.round(result.requests.average * 10) / 10,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
