import functions, { type HttpResponseInit } from '@azure/functions';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { installFunctionsCore, type FunctionsCore, type RegisteredFunction } from './functionsCore.js';
import { QueuePoller } from './queuePoller.js';
import { matchRoute, routeSpecificity } from './routes.js';

export interface TestHostOptions {
  /** Port to listen on (0 = any free port). */
  port?: number;
  /** App settings, set in process.env before the app loads (as the host does). */
  settings: Record<string, string>;
  /** The default function key; random when absent. */
  functionKey?: string;
  /** The app's entry module. */
  entry?: string;
  /** Longest wait between polls of an empty queue (host.json maxPollingInterval by default). */
  maxPollingIntervalMs?: number;
  /** Seconds a received message stays invisible while its function runs. */
  queueLeaseSeconds?: number;
}

export interface TestHost {
  url: string;
  port: number;
  functionKey: string;
  masterKey: string;
  core: FunctionsCore;
  queues: QueuePoller;
  close(): Promise<void>;
}

interface HttpFunction {
  fn: RegisteredFunction;
  route: string;
  methods: string[];
  authLevel: string;
}

const ROUTE_PREFIX = 'api';

function httpLimits(): { maxConcurrentRequests: number; maxOutstandingRequests: number } {
  const host = JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')) as { extensions?: { http?: Record<string, number> } };
  const http = host.extensions?.http ?? {};
  return { maxConcurrentRequests: http.maxConcurrentRequests ?? 100, maxOutstandingRequests: http.maxOutstandingRequests ?? 200 };
}

function traceParentOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value && /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/.test(value)) return value;
  // randomUUID draws on Node's cached entropy: no system call per request.
  return `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`;
}

/** A response init with a string or JSON body (or none) and plain headers, no cookies. */
function isPlainResponse(result: unknown): boolean {
  if (result === undefined || result === null) return true;
  const init = result as HttpResponseInit;
  const headersPlain = init.headers === undefined || (typeof init.headers === 'object' && !(init.headers instanceof Headers) && !Array.isArray(init.headers));
  return headersPlain && !init.cookies && (init.body === undefined || typeof init.body === 'string');
}

/**
 * A request body as a web stream that reads from the socket only when the function reads
 * (backpressure: a slow reader holds the client back instead of buffering the body).
 */
function pullStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value as Buffer));
      },
      cancel() {
        req.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

// The classes are not named exports of the library's CommonJS bundle under Node's ESM loader.
const { HttpRequest, HttpResponse, InvocationContext } = functions;

/**
 * A stand-in for the Azure Functions host, for tests and benchmarks: loads the app's
 * registered functions, serves HTTP triggers under /api with function keys, and polls
 * storage queues for queue triggers (base64 messages, 5 tries, then <queue>-poison).
 */
export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  Object.assign(process.env, options.settings);
  const core = installFunctionsCore();
  await import(options.entry ?? '../../functions/index.js');
  for (const hook of core.hooks.get('appStart') ?? []) await hook({ hookData: {}, appHookData: {}, functionAppDirectory: process.cwd() });

  const functionKey = options.functionKey ?? randomBytes(24).toString('base64url');
  const masterKey = randomBytes(24).toString('base64url');
  const httpFunctions: HttpFunction[] = [];
  for (const fn of core.functions) {
    const trigger = Object.values(fn.bindings).find((b) => b.type === 'httpTrigger');
    if (!trigger) continue;
    httpFunctions.push({
      fn,
      route: String(trigger.route ?? fn.name),
      methods: ((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      authLevel: String(trigger.authLevel ?? 'function').toLowerCase(),
    });
  }
  httpFunctions.sort((a, b) => routeSpecificity(b.route) - routeSpecificity(a.route));

  const queues = new QueuePoller(core, options.settings, { maxPollingIntervalMs: options.maxPollingIntervalMs, leaseSeconds: options.queueLeaseSeconds });
  queues.start();

  // The host's HTTP throttles (host.json extensions.http): at most maxConcurrentRequests
  // functions run at once, the rest wait; past maxOutstandingRequests in all, 429.
  const limits = httpLimits();
  let running = 0;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    if (running + waiting.length >= limits.maxOutstandingRequests) {
      req.resume();
      res.writeHead(429, { 'content-length': '0' }).end();
      return;
    }
    const go = () => {
      running++;
      void handle(req, res)
        .catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        })
        .finally(() => {
          running--;
          waiting.shift()?.();
        });
    };
    if (running < limits.maxConcurrentRequests) go();
    else waiting.push(go);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const prefix = `/${ROUTE_PREFIX}/`;
    if (!url.pathname.toLowerCase().startsWith(prefix)) return void res.writeHead(404).end();
    const path = url.pathname.slice(prefix.length);
    let matched: { f: HttpFunction; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const f of httpFunctions) {
      const m = matchRoute(f.route, path);
      if (!m) continue;
      pathMatched = true;
      if (f.methods.includes(req.method ?? 'GET')) {
        matched = { f, params: m.params };
        break;
      }
    }
    if (!matched) return void res.writeHead(pathMatched ? 405 : 404).end();
    if (!authorized(matched.f.authLevel, req, url)) return void res.writeHead(401).end();

    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const nativeRequest = new Request(url, {
      method,
      headers,
      body: hasBody ? pullStream(req) : undefined,
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
    const request = new HttpRequest({ method, url: url.toString(), headers: Object.fromEntries(headers), params: matched.params, nativeRequest } as never);
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: matched.f.fn.name,
      // As the host does: the caller's W3C traceparent, or a new operation.
      traceContext: { traceParent: traceParentOf(req.headers.traceparent), traceState: undefined, attributes: {} },
      logHandler: (level, ...args) => {
        if (level === 'error' || level === 'warning') console.error(`[${matched.f.fn.name}] ${args.join(' ')}`);
      },
    });
    let result: unknown;
    try {
      result = await matched.f.fn.handler(request, context);
    } catch (err) {
      console.error(`[${matched.f.fn.name}] unhandled: ${(err as Error).message}`);
      return void res.writeHead(500).end();
    }
    if (!(result instanceof HttpResponse) && isPlainResponse(result)) {
      // What HttpResponse would send for a string or JSON body, without building a fetch Response.
      const init = (result ?? {}) as HttpResponseInit;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
      let text: string | undefined;
      if (init.jsonBody !== undefined) {
        text = JSON.stringify(init.jsonBody);
        headers['content-type'] ??= 'application/json';
      } else if (typeof init.body === 'string') {
        text = init.body;
        headers['content-type'] ??= 'text/plain;charset=UTF-8';
      }
      if (text !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
      if (!req.complete) headers.connection = 'close';
      res.writeHead(init.status ?? 200, headers);
      res.end(text);
      return;
    }
    const response = result instanceof HttpResponse ? result : new HttpResponse((result ?? {}) as HttpResponseInit);
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      outHeaders[k] = v;
    });
    // A body the function did not read (a 413, say) cannot be left on a kept-alive connection.
    if (!req.complete) outHeaders.connection = 'close';
    res.writeHead(response.status, outHeaders);
    if (!response.body) return void res.end();
    await new Promise<void>((resolve, reject) => {
      Readable.fromWeb(response.body as unknown as WebReadableStream).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
    });
  }

  function authorized(level: string, req: IncomingMessage, url: URL): boolean {
    if (level === 'anonymous') return true;
    const key = (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? '';
    if (level === 'admin') return key === masterKey;
    return key === functionKey || key === masterKey;
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    functionKey,
    masterKey,
    core,
    queues,
    close: async () => {
      await queues.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const hook of core.hooks.get('appTerminate') ?? []) await hook({ hookData: {}, appHookData: {} });
    },
  };
}
