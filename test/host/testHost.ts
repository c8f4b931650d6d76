import functions, { type HttpResponseInit } from '@azure/functions';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appRoot } from '../../functions/paths.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { loadEntry, type FunctionsCore, type RegisteredFunction } from './functionsCore.js';
import { QueuePoller } from './queuePoller.js';
import { matchRoute, routeSpecificity } from './routes.js';
import {
  FUNCTION_TIMEOUT_GRACE_MS,
  FunctionTimeoutError,
  INITIALIZATION_TIMEOUT_MS,
  InProcessWorker,
  WORKER_TERMINATE_GRACE_MS,
  type Invocation,
} from './worker.js';

export { FUNCTION_TIMEOUT_GRACE_MS, INITIALIZATION_TIMEOUT_MS, WORKER_TERMINATE_GRACE_MS } from './worker.js';

/**
 * Kestrel's MaxRequestBodySize as the host sets it: `ScriptConstants.DefaultMaxRequestBodySize`
 * = 104857600 (Azure/azure-functions-host `src/WebJobs.Script/ScriptConstants.cs`, applied in
 * `src/WebJobs.Script.WebHost/Program.cs`), replaced by the app setting
 * FUNCTIONS_REQUEST_BODY_SIZE_LIMIT when it parses as a number
 * (`src/WebJobs.Script.WebHost/Middleware/HttpRequestBodySizeMiddleware.cs`).
 */
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 104_857_600;

/**
 * functionTimeout when host.json has none, on plans other than Consumption: 30 minutes
 * (Azure/azure-functions-host `src/WebJobs.Script/Config/ScriptJobHostOptionsSetup.cs`).
 */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 30 * 60_000;

export interface TestHostOptions {
  /** Port to listen on (0 = any free port). */
  port?: number;
  /** App settings, set in process.env before the app loads (as the host does). */
  settings: Record<string, string>;
  /** The function key (it opens every function-level route); random when absent. */
  functionKey?: string;
  /** Host keys (they open every function-level route); one random key when absent. */
  hostKeys?: string[];
  /** The master key (it alone opens admin-level routes, and opens every other); random when absent. */
  masterKey?: string;
  /** The app's entry module (a path, or a specifier relative to this module). */
  entry?: string;
  /** Longest wait between polls of an empty queue (host.json maxPollingInterval by default). */
  maxPollingIntervalMs?: number;
  /** Seconds a received message stays invisible while its function runs. */
  queueLeaseSeconds?: number;
  /** Largest request body in bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else 104857600, by default). */
  maxRequestBodySize?: number;
  /** Kestrel's MinRequestBodyDataRate (MIN_BODY_RATE, 240 bytes/s after 5 s, by default). */
  minRequestBodyDataRate?: { bytesPerSecond: number; graceMs: number };
  /** How long the appStart hooks may take (120000 ms, the worker's initializationTimeout, by default). */
  initializationTimeoutMs?: number;
  /** How long close() and a restart wait for the appTerminate hooks (5000 ms by default). */
  terminateGraceMs?: number;
  /** Invocation time limit (host.json functionTimeout by default; Infinity for none). */
  functionTimeoutMs?: number;
  /** Wait after functionTimeout for the function to finish before restarting the worker (2000 ms by default). */
  functionTimeoutGraceMs?: number;
}

export interface TestHost {
  url: string;
  port: number;
  functionKey: string;
  hostKeys: string[];
  masterKey: string;
  /** The functions and hooks this host's entry registered. */
  core: FunctionsCore;
  queues: QueuePoller;
  /** The limits in force, resolved from the options, app settings and host.json. */
  limits: {
    maxRequestBodySize: number;
    minRequestBodyDataRate: { bytesPerSecond: number; graceMs: number };
    initializationTimeoutMs: number;
    terminateGraceMs: number;
    functionTimeoutMs: number;
    functionTimeoutGraceMs: number;
  };
  /** Times the worker was restarted (appTerminate, then appStart) after a function timeout. */
  readonly workerRestarts: number;
  /** Stops serving and polling, then runs the appTerminate hooks within the grace period. */
  close(): Promise<void>;
}

interface HttpFunction {
  fn: RegisteredFunction;
  route: string;
  methods: string[] | undefined;
  authLevel: string;
}

const ROUTE_PREFIX = 'api';

interface HostJson {
  functionTimeout?: string;
  extensions?: { http?: Record<string, number> };
}

let hostJson: HostJson | undefined;
function readHostJson(): HostJson {
  hostJson ??= JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')) as HostJson;
  return hostJson;
}

function httpLimits(): { maxConcurrentRequests: number; maxOutstandingRequests: number } {
  const http = readHostJson().extensions?.http ?? {};
  return { maxConcurrentRequests: http.maxConcurrentRequests ?? 100, maxOutstandingRequests: http.maxOutstandingRequests ?? 200 };
}

/**
 * A .NET TimeSpan ("hh:mm:ss", "d.hh:mm:ss[.fff]", or "-1" for none) as milliseconds;
 * functionTimeout "-1" means no timeout on plans that allow it (ScriptJobHostOptionsSetup.cs).
 */
export function parseFunctionTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_FUNCTION_TIMEOUT_MS;
  const text = value.trim();
  if (/^-1(\.00:00:00)?$/.test(text)) return Infinity;
  const m = /^(?:(\d+)\.)?(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(text);
  if (!m) throw new Error(`host.json functionTimeout "${value}" is not a timespan`);
  return Math.round(((Number(m[1] ?? 0) * 24 + Number(m[2])) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1000);
}

/** HttpRequestBodySizeMiddleware: the setting applies when it parses as a number (long.TryParse). */
export function requestBodySizeLimit(settings: Record<string, string>): number {
  const value = settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT;
  return value !== undefined && /^\s*\+?\d+\s*$/.test(value) ? Number(value) : DEFAULT_MAX_REQUEST_BODY_SIZE;
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

/** An answer without a body, as ASP.NET Core sends a bare status code result. */
function emptyAnswer(res: ServerResponse, status: number, close = false): void {
  res.writeHead(status, close ? { 'content-length': '0', connection: 'close' } : { 'content-length': '0' }).end();
}

/**
 * The answer to an invocation that failed in the host (function timeout, body past the limit):
 * ExceptionMiddleware (Azure/azure-functions-host `src/WebJobs.Script.WebHost/Middleware/ExceptionMiddleware.cs`)
 * sets 500 with no body, or aborts the connection when the response has started.
 */
function failInvocation(res: ServerResponse, close: boolean): void {
  if (res.headersSent) res.destroy();
  else emptyAnswer(res, 500, close);
}

interface HttpInvocation extends Invocation {
  /**
   * Reading the body failed (Kestrel's BadHttpRequestException while the host read it): past
   * MaxRequestBodySize, or below MinRequestBodyDataRate.
   */
  bodyFailed: boolean;
}

/**
 * Kestrel's MinRequestBodyDataRate, which the Functions host leaves at its default (its
 * Program.cs sets only MaxRequestBodySize): 240 bytes/s on average, checked once a 5 s grace
 * period has passed, counting only the time a read is pending (the app reading), as Kestrel's
 * TimeoutControl pauses timing while the app does not read.
 */
export const MIN_BODY_RATE = { bytesPerSecond: 240, graceMs: 5000 };

/**
 * A request body as a web stream that reads from the socket only when the function reads
 * (backpressure: a slow reader holds the client back instead of buffering the body). Past
 * `limit` bytes the stream fails, as Kestrel fails the read of a chunked body once it counts
 * more than MaxRequestBodySize (dotnet/aspnetcore
 * `src/Servers/Kestrel/Core/src/Internal/Http/Http1ChunkedEncodingMessageBody.cs`,
 * AddAndCheckObservedBytes; Kestrel also counts the chunk framing, this counts body bytes).
 * A body arriving slower than MIN_BODY_RATE fails too, as Kestrel's HandleReadDataRateTimeout
 * fails the pending read (`Http1Connection.cs`, SendTimeoutResponse: the read throws a 408
 * BadHttpRequestException and the connection is not kept alive).
 */
function pullStream(req: IncomingMessage, limit: number, invocation: HttpInvocation, res: ServerResponse, rate: typeof MIN_BODY_RATE): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]();
  let seen = 0;
  let readingMs = 0;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, message: string) => {
    invocation.bodyFailed = true;
    // A response already under way cannot turn into the 500: the host aborts it.
    if (res.headersSent) res.destroy();
    controller.error(new Error(message));
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const started = Date.now();
        // The time this read may take before the average rate falls below the minimum.
        const allowedMs = Math.max(rate.graceMs, (seen / rate.bytesPerSecond) * 1000) - readingMs;
        let timer: NodeJS.Timeout | undefined;
        const tooSlow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), Math.max(0, allowedMs))));
        const next = await Promise.race([chunks.next(), tooSlow]).finally(() => clearTimeout(timer));
        readingMs += Date.now() - started;
        if (next === 'slow') {
          return fail(controller, `Reading the request body timed out due to data arriving too slowly (below ${rate.bytesPerSecond} bytes/s).`);
        }
        const { value, done } = next;
        if (done) return controller.close();
        seen += (value as Buffer).length;
        if (seen > limit) return fail(controller, `Request body too large. The max request body size is ${limit} bytes.`);
        controller.enqueue(new Uint8Array(value as Buffer));
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

function resolveEntry(entry: string | undefined): string {
  if (!entry) return new URL('../../functions/index.js', import.meta.url).href;
  if (isAbsolute(entry)) return pathToFileURL(entry).href;
  if (entry.startsWith('.')) return new URL(entry, import.meta.url).href;
  return entry;
}

function newKey(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * A stand-in for the Azure Functions host, for tests and benchmarks: loads the app's
 * registered functions, runs its appStart hooks (worker initialisation) before serving, serves
 * HTTP triggers under /api with function, host and master keys, polls storage queues for
 * queue triggers (base64 messages, 5 tries, then <queue>-poison), times invocations against
 * functionTimeout (restarting the "worker" past it), and on close runs the appTerminate hooks
 * within the worker's grace period.
 */
export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  for (const [name, key] of [['functionKey', options.functionKey], ['masterKey', options.masterKey], ...(options.hostKeys ?? []).map((k) => ['hostKeys', k])]) {
    if (key !== undefined && !key) throw new Error(`${name}: a key cannot be empty`);
  }
  Object.assign(process.env, options.settings);
  const entry = resolveEntry(options.entry);
  const core = await loadEntry(entry, () => import(entry));

  const limits = {
    maxRequestBodySize: options.maxRequestBodySize ?? requestBodySizeLimit(options.settings),
    minRequestBodyDataRate: options.minRequestBodyDataRate ?? MIN_BODY_RATE,
    initializationTimeoutMs: options.initializationTimeoutMs ?? INITIALIZATION_TIMEOUT_MS,
    terminateGraceMs: options.terminateGraceMs ?? WORKER_TERMINATE_GRACE_MS,
    functionTimeoutMs: options.functionTimeoutMs ?? parseFunctionTimeout(readHostJson().functionTimeout),
    functionTimeoutGraceMs: options.functionTimeoutGraceMs ?? FUNCTION_TIMEOUT_GRACE_MS,
  };
  const worker = new InProcessWorker(core, limits);
  // Worker initialisation: no request is served, and no queue polled, before it ends.
  await worker.start();

  const functionKey = options.functionKey ?? newKey();
  const hostKeys = options.hostKeys ?? [newKey()];
  const masterKey = options.masterKey ?? newKey();
  // Keys that open function-level routes: function keys, host keys (the host's "functionKeys")
  // and the master key (admin level passes every level).
  const functionLevelKeys = new Set([functionKey, ...hostKeys, masterKey]);

  const httpFunctions: HttpFunction[] = [];
  for (const fn of core.functions) {
    const trigger = Object.values(fn.bindings).find((b) => b.type === 'httpTrigger');
    if (!trigger) continue;
    httpFunctions.push({
      fn,
      route: String(trigger.route ?? fn.name),
      // No methods (not something @azure/functions registers: it defaults to GET and POST): any method.
      methods: (trigger.methods as string[] | undefined)?.map((m) => m.toUpperCase()),
      authLevel: String(trigger.authLevel ?? 'function').toLowerCase(),
    });
  }
  httpFunctions.sort((a, b) => routeSpecificity(b.route) - routeSpecificity(a.route));

  const queues = new QueuePoller(core, options.settings, { maxPollingIntervalMs: options.maxPollingIntervalMs, leaseSeconds: options.queueLeaseSeconds, worker });
  queues.start();

  // The host's HTTP throttles (host.json extensions.http): at most maxConcurrentRequests
  // functions run at once, the rest wait; past maxOutstandingRequests in all, 429.
  const throttle = httpLimits();
  let running = 0;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    if (running + waiting.length >= throttle.maxOutstandingRequests) {
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
    if (running < throttle.maxConcurrentRequests) go();
    else waiting.push(go);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const prefix = `/${ROUTE_PREFIX}/`;
    if (!url.pathname.toLowerCase().startsWith(prefix)) return emptyAnswer(res, 404);
    const path = url.pathname.slice(prefix.length);
    // Each route carries an HttpMethodRouteConstraint: a request whose method the function does
    // not accept matches no route and gets 404, not 405 (Azure/azure-functions-host
    // `src/WebJobs.Script.WebHost/WebScriptHostHttpRoutesManager.cs`).
    let matched: { f: HttpFunction; params: Record<string, string> } | undefined;
    for (const f of httpFunctions) {
      if (f.methods && !f.methods.includes(method)) continue;
      const m = matchRoute(f.route, path);
      if (m) {
        matched = { f, params: m.params };
        break;
      }
    }
    if (!matched) return emptyAnswer(res, 404);
    // FunctionInvocationMiddleware answers an unauthorised request with UnauthorizedResult: 401, no body.
    if (!authorized(matched.f.authLevel, req, url)) return emptyAnswer(res, 401);

    // A body declared past MaxRequestBodySize fails on its first read (dotnet/aspnetcore
    // `src/Servers/Kestrel/Core/src/Internal/Http/Http1ContentLengthMessageBody.cs`, OnReadStarting,
    // which also disables keep-alive), and the host reads it at once to forward it to the worker
    // (`src/WebJobs.Script.Grpc/Server/DefaultHttpProxyService.cs`). The forwarding error fails the
    // invocation (GrpcWorkerChannel.InvokeResponse → EnsureSuccessfulForwardingAsync) and
    // ExceptionMiddleware answers 500, not Kestrel's 413 (Azure/azure-functions-host issue #10519).
    // The test host answers so without running the function.
    const limit = limits.maxRequestBodySize;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) return emptyAnswer(res, 500, true);

    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const invocation: HttpInvocation = { timedOut: false, bodyFailed: false };
    const nativeRequest = new Request(url, {
      method,
      headers,
      body: hasBody ? pullStream(req, limit, invocation, res, limits.minRequestBodyDataRate) : undefined,
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
    const request = new HttpRequest({ method, url: url.toString(), headers: Object.fromEntries(headers), params: matched.params, nativeRequest } as never);
    const fn = matched.f.fn;
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: fn.name,
      // As the host does: the caller's W3C traceparent, or a new operation.
      traceContext: { traceParent: traceParentOf(req.headers.traceparent), traceState: undefined, attributes: {} },
      logHandler: (level, ...args) => {
        if (level === 'error' || level === 'warning') console.error(`[${fn.name}] ${args.join(' ')}`);
      },
    });
    try {
      // The invocation lasts until its response is written, as the worker's does (with
      // enableHttpStream it answers the host once sendProxyResponse has written the body).
      await worker.invoke(fn.name, invocation, () => respond(fn, request, context, req, res, invocation));
    } catch (err) {
      if (!(err instanceof FunctionTimeoutError)) throw err;
      // The timed-out invocation fails: ExceptionMiddleware's 500, or an aborted response.
      failInvocation(res, !req.complete);
    }
  }

  async function respond(
    fn: RegisteredFunction,
    request: InstanceType<typeof HttpRequest>,
    context: InstanceType<typeof InvocationContext>,
    req: IncomingMessage,
    res: ServerResponse,
    invocation: HttpInvocation,
  ): Promise<void> {
    let result: unknown;
    try {
      result = await fn.handler(request, context);
    } catch (err) {
      if (invocation.timedOut) return;
      console.error(`[${fn.name}] unhandled: ${(err as Error).message}`);
      return failInvocation(res, invocation.bodyFailed || !req.complete);
    }
    if (invocation.timedOut) return;
    // The body's failure failed the forwarding to the worker, whatever the function made of it.
    if (invocation.bodyFailed) return failInvocation(res, true);
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
    // A body that fails midway aborts the response (the worker never ends it and the host
    // aborts a started response); a caller gone midway stops the body.
    await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream), res).catch(() => undefined);
  }

  /**
   * The caller's key, from the x-functions-key header or else the `code` query parameter
   * (AuthenticationLevelHandler), gives a level: the master key admin, a host or function key
   * function (Azure/azure-functions-host `src/WebJobs.Script.WebHost/Security/KeyManagement/SecretManager.cs`,
   * GetAuthorizationLevelAsync); an admin claim passes every level (`Security/Authorization/AuthUtility.cs`,
   * PrincipalHasAuthLevelClaim). See also learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger
   * (Authorization keys).
   */
  function authorized(level: string, req: IncomingMessage, url: URL): boolean {
    if (level === 'anonymous') return true;
    const key = (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? '';
    if (level === 'function') return functionLevelKeys.has(key);
    return key === masterKey;
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    functionKey,
    hostKeys,
    masterKey,
    core,
    queues,
    limits,
    get workerRestarts() {
      return worker.restarts;
    },
    close: () =>
      (closing ??= (async () => {
        await queues.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await worker.close();
      })()),
  };
}
