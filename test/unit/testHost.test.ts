/**
 * The test host against facts of the real Functions host, each test naming its source.
 * They run a tiny fixture app (test/fixtures/host-app/app.ts) registered through
 * @azure/functions as the real app is: no R and no storage.
 */
import getPort from 'get-port';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { control, resetControl } from '../fixtures/host-app/control.js';
import {
  DEFAULT_FUNCTION_TIMEOUT_MS,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  parseFunctionTimeout,
  requestBodySizeLimit,
  startTestHost,
  type TestHost,
  type TestHostOptions,
} from '../host/testHost.js';
import { FUNCTION_TIMEOUT_GRACE_MS, INITIALIZATION_TIMEOUT_MS, WORKER_TERMINATE_GRACE_MS } from '../host/worker.js';
import { waitFor } from '../helpers/waitFor.js';

const entry = fileURLToPath(new URL('../fixtures/host-app/app.ts', import.meta.url));
const hosts: TestHost[] = [];

async function start(options: Partial<TestHostOptions> = {}): Promise<TestHost> {
  const host = await startTestHost({ settings: {}, entry, ...options });
  hosts.push(host);
  return host;
}

/** A promise and the function that settles it, for holding a hook or a function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request over node:http: a body in one piece (with Content-Length) or in chunks (chunked). */
function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer; chunks?: Buffer[] } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers = { ...init.headers, ...(init.body ? { 'content-length': String(init.body.length) } : {}), ...(init.chunks ? { 'transfer-encoding': 'chunked' } : {}) };
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, agent: false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    // Writes after the host answered and closed may fail: that is the host refusing the rest.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    if (init.chunks) {
      const chunks = [...init.chunks];
      const pump = () => {
        while (chunks.length && !answered) if (!req.write(chunks.shift())) return void req.once('drain', pump);
        if (!answered) req.end();
      };
      pump();
    } else req.end(init.body);
  });
}

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  resetControl();
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(async () => {
  resetControl();
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  resetControl();
  vi.restoreAllMocks();
});

describe('test host: routes and methods', () => {
  // Azure/azure-functions-host src/WebJobs.Script.WebHost/WebScriptHostHttpRoutesManager.cs: each
  // function route carries an HttpMethodRouteConstraint, so a method the function does not accept
  // matches no route: 404, not 405.
  it('answers 404, not 405, to a method no function on the route accepts', async () => {
    const host = await start();
    expect(await (await fetch(`${host.url}/api/things/7`)).json()).toEqual({ got: '7' });
    expect(await (await fetch(`${host.url}/api/things/7`, { method: 'PUT' })).json()).toEqual({ put: '7' });
    for (const method of ['DELETE', 'POST', 'PATCH']) {
      const res = await send(`${host.url}/api/things/7`, { method });
      expect(res.status, method).toBe(404);
      expect(res.body).toBe('');
    }
    // No route matches, so no key is asked for: 404 before 401.
    expect((await send(`${host.url}/api/echo`, { method: 'PATCH' })).status).toBe(404);
    expect((await send(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await send(`${host.url}/elsewhere`)).status).toBe(404);
  });
});

describe('test host: keys', () => {
  // Azure/azure-functions-host src/WebJobs.Script.WebHost/Security/KeyManagement/SecretManager.cs
  // (GetAuthorizationLevelAsync: master key → Admin, host function keys and the function's keys →
  // Function), Security/Authorization/AuthUtility.cs (an Admin claim passes every level),
  // Security/Authentication/Keys/AuthenticationLevelHandler.cs (x-functions-key header, else ?code=);
  // learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger, "Authorization keys".
  const keys = { functionKey: 'the-function-key', hostKeys: ['host-key-1', 'host-key-2'], masterKey: 'the-master-key' };

  it('opens function-level routes with the function key, any host key or the master key, by header or ?code=', async () => {
    const host = await start(keys);
    for (const key of ['the-function-key', 'host-key-1', 'host-key-2', 'the-master-key']) {
      expect((await send(`${host.url}/api/echo`, { headers: { 'x-functions-key': key } })).status, key).toBe(200);
      expect((await send(`${host.url}/api/echo?code=${key}`)).status, key).toBe(200);
    }
  });

  it('opens admin-level routes with the master key alone', async () => {
    const host = await start(keys);
    expect((await send(`${host.url}/api/admin-only`, { headers: { 'x-functions-key': 'the-master-key' } })).body).toBe('admin');
    expect((await send(`${host.url}/api/admin-only?code=the-master-key`)).status).toBe(200);
    for (const key of ['the-function-key', 'host-key-1', 'wrong']) {
      expect((await send(`${host.url}/api/admin-only`, { headers: { 'x-functions-key': key } })).status, key).toBe(401);
    }
  });

  // FunctionInvocationMiddleware returns UnauthorizedResult: 401 with no body.
  it('answers 401 with an empty body to a missing or wrong key, the header taking precedence over ?code=', async () => {
    const host = await start(keys);
    for (const res of [
      await send(`${host.url}/api/echo`),
      await send(`${host.url}/api/echo`, { headers: { 'x-functions-key': 'wrong' } }),
      await send(`${host.url}/api/echo?code=wrong`),
      await send(`${host.url}/api/echo?code=the-function-key`, { headers: { 'x-functions-key': 'wrong' } }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toBe('');
      expect(res.headers['content-length']).toBe('0');
    }
  });

  it('asks no key of anonymous routes', async () => {
    const host = await start(keys);
    expect((await send(`${host.url}/api/open`)).body).toBe('open');
  });

  it('makes random distinct keys when none are given, and refuses an empty one', async () => {
    const host = await start();
    const all = [host.functionKey, host.masterKey, ...host.hostKeys];
    expect(host.hostKeys).toHaveLength(1);
    expect(new Set(all).size).toBe(3);
    for (const key of all) expect(key.length).toBeGreaterThanOrEqual(32);
    await expect(startTestHost({ settings: {}, entry, masterKey: '' })).rejects.toThrow(/empty/);
  });
});

describe('test host: request body limit', () => {
  // Azure/azure-functions-host src/WebJobs.Script.WebHost/Program.cs sets Kestrel's MaxRequestBodySize to
  // ScriptConstants.DefaultMaxRequestBodySize (104857600); src/WebJobs.Script.WebHost/Middleware/
  // HttpRequestBodySizeMiddleware.cs replaces it with FUNCTIONS_REQUEST_BODY_SIZE_LIMIT when that parses as a number.
  it('caps bodies at 104857600 bytes unless FUNCTIONS_REQUEST_BODY_SIZE_LIMIT says otherwise', async () => {
    expect(DEFAULT_MAX_REQUEST_BODY_SIZE).toBe(104_857_600);
    expect((await start()).limits.maxRequestBodySize).toBe(104_857_600);
    expect((await start({ settings: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '2048' } })).limits.maxRequestBodySize).toBe(2048);
    expect(requestBodySizeLimit({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 'lots' })).toBe(104_857_600);
    expect(requestBodySizeLimit({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: ' 300 ' })).toBe(300);
  });

  // dotnet/aspnetcore src/Servers/Kestrel/Core/src/Internal/Http/Http1ContentLengthMessageBody.cs: a declared
  // length over the limit fails the first read (413 BadHttpRequestException) and disables keep-alive; the host
  // reads it at once to forward it to the worker (src/WebJobs.Script.Grpc/Server/DefaultHttpProxyService.cs), the
  // forwarding error fails the invocation (GrpcWorkerChannel.InvokeResponse) and ExceptionMiddleware answers 500
  // (Azure/azure-functions-host issue #10519: "Azure Functions return a 500 if request is too large").
  it('answers 500 and closes the connection, without running the function, when Content-Length is over the limit', async () => {
    const host = await start({ settings: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '2048' } });
    const res = await send(`${host.url}/api/upload`, { method: 'POST', body: Buffer.alloc(2049, 'x') });
    expect(res.status).toBe(500);
    expect(res.body).toBe('');
    expect(res.headers.connection).toBe('close');
    expect(control().events).not.toContain('upload');
  });

  it('passes a body of exactly the limit', async () => {
    const host = await start({ maxRequestBodySize: 2048 });
    expect(JSON.parse((await send(`${host.url}/api/upload`, { method: 'POST', body: Buffer.alloc(2048, 'x') })).body)).toEqual({ bytes: 2048 });
    expect(JSON.parse((await send(`${host.url}/api/upload`, { method: 'POST', chunks: [Buffer.alloc(1024, 'x'), Buffer.alloc(1024, 'y')] })).body)).toEqual({ bytes: 2048 });
  });

  // dotnet/aspnetcore src/Servers/Kestrel/Core/src/Internal/Http/Http1ChunkedEncodingMessageBody.cs: a chunked
  // body fails the reader (AddAndCheckObservedBytes) once it passes the limit; the forwarding fails and the
  // host answers 500 whatever the function made of it.
  it('fails the body stream mid-read when a chunked body grows past the limit, and answers 500', async () => {
    const host = await start({ maxRequestBodySize: 2048 });
    const chunks = Array.from({ length: 4 }, () => Buffer.alloc(1024, 'x'));
    const res = await send(`${host.url}/api/upload`, { method: 'POST', chunks });
    expect(control().events).toContain('upload');
    expect(control().bodyErrors).toEqual(['Request body too large. The max request body size is 2048 bytes.']);
    // The function answered 400; the host's answer is the failed invocation's.
    expect(res.status).toBe(500);
    expect(res.headers.connection).toBe('close');
  });
});

describe('test host: slow bodies', () => {
  /** A chunked POST that sends one byte every `everyMs`, `bytes` times, unless the host answers first. */
  function trickle(url: string, bytes: number, everyMs: number): Promise<Answer & { sent: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      const req = httpRequest(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        clearInterval(timer);
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString(), sent }));
      });
      req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
      const timer: NodeJS.Timeout = setInterval(() => {
        if (sent === bytes) {
          clearInterval(timer);
          return void req.end();
        }
        sent++;
        req.write('x');
      }, everyMs);
    });
  }

  // The Functions host sets only MaxRequestBodySize on Kestrel (Azure/azure-functions-host
  // src/WebJobs.Script.WebHost/Program.cs), so MinRequestBodyDataRate keeps Kestrel's default:
  // 240 bytes/s after a 5 s grace period (KestrelServerLimits).
  it("keeps Kestrel's default minimum body data rate", async () => {
    const host = await start();
    expect(host.limits.minRequestBodyDataRate).toEqual({ bytesPerSecond: 240, graceMs: 5000 });
  });

  // dotnet/aspnetcore src/Servers/Kestrel/Core/src/Internal/Http/Http1Connection.cs: HandleReadDataRateTimeout →
  // SendTimeoutResponse fails the pending read (a 408 BadHttpRequestException) and ends keep-alive; the host's
  // forwarding fails, so the invocation's answer is ExceptionMiddleware's 500.
  it('fails a body that arrives slower than the minimum rate after the grace period: 500, connection closed', async () => {
    const host = await start({ minRequestBodyDataRate: { bytesPerSecond: 100, graceMs: 400 } });
    const res = await trickle(`${host.url}/api/upload`, 1000, 100);
    expect(res.status).toBe(500);
    expect(res.headers.connection).toBe('close');
    expect(res.sent).toBeLessThan(1000);
    expect(control().bodyErrors).toEqual(['Reading the request body timed out due to data arriving too slowly (below 100 bytes/s).']);
  });

  it('passes a slow body that keeps above the rate, and frees the slots slow bodies held', async () => {
    const host = await start({ minRequestBodyDataRate: { bytesPerSecond: 5, graceMs: 300 } });
    // 10 bytes/s: above the minimum, so it is read to its end.
    const steady = await trickle(`${host.url}/api/upload`, 6, 100);
    expect(steady.status).toBe(200);
    expect(JSON.parse(steady.body)).toEqual({ bytes: 6 });
    // More slow bodies than maxConcurrentRequests (200 in host.json) are all cut, so a normal
    // request sent while they fill every slot is answered, not held behind them for ever.
    const slow = Array.from({ length: 250 }, () => trickle(`${host.url}/api/upload`, 100, 1000));
    await waitFor(() => control().events.length >= 200, { what: '200 slow uploads running' });
    const normal = await send(`${host.url}/api/upload`, { method: 'POST', body: Buffer.from('hello') });
    expect(normal.status).toBe(200);
    const answers = await Promise.all(slow);
    expect(answers.filter((a) => a.status !== 500)).toEqual([]);
  });
});

describe('test host: worker initialisation', () => {
  // Azure/azure-functions-nodejs-worker src/startApp.ts (appStart hooks run in WorkerInitRequest's handler) and
  // worker.config.json (processOptions.initializationTimeout "00:02:00"); the host waits that long for the
  // WorkerInitResponse (Azure/azure-functions-host GrpcWorkerChannel.SendWorkerInitRequest) and serves no
  // invocation before (WorkerFunctionInvoker.DelayUntilFunctionDispatcherInitializedOrShutdown).
  it('runs the appStart hooks before it serves anything', async () => {
    const hook = gate();
    const entered = gate();
    control().onAppStart = () => {
      entered.open();
      return hook.promise;
    };
    const port = await getPort({ host: '127.0.0.1' });
    const starting = start({ port });
    await entered.promise;
    await expect(fetch(`http://127.0.0.1:${port}/api/open`)).rejects.toThrow();
    hook.open();
    const host = await starting;
    expect((await send(`${host.url}/api/open`)).status).toBe(200);
    expect(control().events).toEqual(['appStart']);
  });

  it('gives the appStart hooks 120 s by default and rejects once they outlast the limit', async () => {
    expect(INITIALIZATION_TIMEOUT_MS).toBe(120_000);
    expect((await start()).limits.initializationTimeoutMs).toBe(120_000);
    const hook = gate();
    control().onAppStart = () => hook.promise;
    const port = await getPort({ host: '127.0.0.1' });
    // The hook never finishes: start() can only reject by the limit (a lower bound on the
    // time, which a busy machine cannot break; no upper one, which it could).
    const began = Date.now();
    await expect(start({ port, initializationTimeoutMs: 200 })).rejects.toThrow(/appStart hooks did not finish within 200 ms \(initializationTimeout/);
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    await expect(fetch(`http://127.0.0.1:${port}/api/open`)).rejects.toThrow();
    hook.open();
  });
});

describe('test host: shutdown', () => {
  // Azure/azure-functions-host src/WebJobs.Script/Workers/WorkerConstants.cs (WorkerTerminateGracePeriodInSeconds = 5),
  // GrpcWorkerChannel.StopWorkerProcess (WorkerTerminate, then wait that long before the process is killed);
  // Azure/azure-functions-nodejs-worker src/eventHandlers/terminateWorker.ts (appTerminate hooks, then process.exit(0)).
  it('runs the appTerminate hooks on close()', async () => {
    const host = await start();
    await host.close();
    expect(control().events).toEqual(['appStart', 'appTerminate']);
  });

  it('gives the appTerminate hooks 5 s by default, and resolves close() once the grace period runs out, saying so', async () => {
    expect(WORKER_TERMINATE_GRACE_MS).toBe(5000);
    expect((await start()).limits.terminateGraceMs).toBe(5000);
    const host = await start({ terminateGraceMs: 300 });
    const hook = gate();
    control().onAppTerminate = () => hook.promise;
    // The hook never finishes: close() can only resolve by the grace period, and says so.
    const began = Date.now();
    await host.close();
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(warn.mock.calls.flat().join('\n')).toMatch(/did not finish within the 300 ms grace period/);
    hook.open();
  });
});

describe('test host: functionTimeout', () => {
  // Azure/azure-webjobs-sdk src/Microsoft.Azure.WebJobs.Host/Executors/FunctionExecutor.cs (FunctionTimeoutException,
  // HandleExceptionAsync) → Azure/azure-functions-host src/WebJobs.Script.WebHost/WebScriptHostExceptionHandler.cs
  // OnTimeoutExceptionAsync: wait the TimeoutAttribute grace period (2 s, Azure/azure-webjobs-sdk
  // src/Microsoft.Azure.WebJobs/TimeoutAttribute.cs) for the function, then RestartWorkerWithInvocationIdAsync (the
  // worker process gets WorkerTerminate and a new one starts); the failed invocation ends in ExceptionMiddleware's 500.
  it('reads functionTimeout from host.json ("00:30:00"), 30 minutes when absent, none for -1', async () => {
    expect((await start()).limits.functionTimeoutMs).toBe(1_800_000);
    expect(FUNCTION_TIMEOUT_GRACE_MS).toBe(2000);
    expect(parseFunctionTimeout(undefined)).toBe(DEFAULT_FUNCTION_TIMEOUT_MS);
    expect(DEFAULT_FUNCTION_TIMEOUT_MS).toBe(1_800_000);
    expect(parseFunctionTimeout('00:00:01.500')).toBe(1500);
    expect(parseFunctionTimeout('1.02:00:00')).toBe(26 * 3_600_000);
    expect(parseFunctionTimeout('-1')).toBe(Infinity);
    expect(() => parseFunctionTimeout('ten minutes')).toThrow();
  });

  it('answers 500 to an HTTP invocation past functionTimeout and restarts the worker: appTerminate, then appStart', async () => {
    const host = await start({ functionTimeoutMs: 200, functionTimeoutGraceMs: 100 });
    const slow = gate();
    control().onSlow = () => slow.promise;
    const began = Date.now();
    const res = await send(`${host.url}/api/slow`);
    expect(res.status).toBe(500);
    expect(res.body).toBe('');
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(host.workerRestarts).toBe(1);
    expect(control().events).toEqual(['appStart', 'slow', 'appTerminate', 'appStart']);
    expect(warn.mock.calls.flat().join('\n')).toMatch(/Timeout value of 00:00:00\.200 was exceeded by function: Functions\.slow/);
    // The function finishing late changes nothing; the new worker serves.
    slow.open();
    control().onSlow = undefined;
    expect((await send(`${host.url}/api/slow`)).body).toBe('slow done');
    expect(host.workerRestarts).toBe(1);
  });

  it('fails the invocation but restarts nothing when the function ends within the grace period', async () => {
    // Ends 200 ms past the timeout, well within the (long) grace period even on a busy machine.
    const host = await start({ functionTimeoutMs: 100, functionTimeoutGraceMs: 10_000 });
    control().onSlow = () => sleep(300);
    expect((await send(`${host.url}/api/slow`)).status).toBe(500);
    expect(host.workerRestarts).toBe(0);
    expect(control().events).toEqual(['appStart', 'slow']);
  });

  it('holds new invocations while the worker restarts', async () => {
    const host = await start({ functionTimeoutMs: 100, functionTimeoutGraceMs: 50 });
    control().onSlow = () => new Promise(() => undefined);
    const restarting = gate();
    const restarted = gate();
    // The restart's appStart: let the test see it, and hold it (set before the request, so
    // that no restart can come before it, however slowly this test runs).
    control().onAppStart = () => {
      restarting.open();
      return restarted.promise;
    };
    const timedOut = send(`${host.url}/api/slow`);
    await restarting.promise;
    let answered = false;
    const held = send(`${host.url}/api/open`).then((r) => ((answered = true), r));
    await sleep(200);
    expect(answered).toBe(false);
    restarted.open();
    expect((await held).status).toBe(200);
    expect((await timedOut).status).toBe(500);
    expect(host.workerRestarts).toBe(1);
  });

  it('leaves invocations that end in time alone (their timers are cleared)', async () => {
    const host = await start({ functionTimeoutMs: 150, functionTimeoutGraceMs: 10 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => send(`${host.url}/api/open`)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await sleep(300);
    expect(host.workerRestarts).toBe(0);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('test host: failures of started responses', () => {
  // Azure/azure-functions-nodejs-library src/http/httpProxy.ts (sendProxyResponse: a body that throws leaves the
  // proxied response unended and fails the invocation) and Azure/azure-functions-host
  // src/WebJobs.Script.WebHost/Middleware/ExceptionMiddleware.cs ("We can't do anything if the response has already
  // started, just abort."): the caller sees the connection aborted, not a complete response.
  it('aborts a streamed response whose body fails midway', async () => {
    const host = await start();
    await expect(send(`${host.url}/api/broken-stream`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });

  it('restarts nothing once closed, even when an invocation cut off by close() passes functionTimeout', async () => {
    const host = await start({ functionTimeoutMs: 200, functionTimeoutGraceMs: 20 });
    control().onSlow = () => new Promise(() => undefined);
    const cut = send(`${host.url}/api/slow`).catch(() => undefined);
    await waitFor(() => control().events.includes('slow'), { what: 'the slow function to be running' });
    await host.close();
    await cut;
    await sleep(400);
    expect(host.workerRestarts).toBe(0);
    expect(control().events).toEqual(['appStart', 'slow', 'appTerminate']);
  });
});

describe('test host: what it kept', () => {
  // Azure/azure-functions-host src/WebJobs.Script.WebHost/Middleware/HttpThrottleMiddleware.cs: past
  // maxOutstandingRequests (host.json extensions.http: 400), 429.
  it('answers 429 past maxOutstandingRequests', async () => {
    const host = await start();
    const slow = gate();
    control().onSlow = () => slow.promise;
    let refused = 0;
    const pending = Array.from({ length: 450 }, () =>
      send(`${host.url}/api/slow`).then((a) => {
        if (a.status === 429) refused++;
        return a;
      }),
    );
    // 200 run (maxConcurrentRequests), 200 wait, the other 50 are refused at once.
    const running = () => control().events.filter((e) => e === 'slow').length;
    await waitFor(() => refused >= 50 && running() >= 200, { timeoutMs: 60_000, what: '200 requests running and 50 refused', last: () => ({ refused, running: running() }) });
    expect(refused).toBe(50);
    expect(control().events.filter((e) => e === 'slow')).toHaveLength(200);
    slow.open();
    const statuses = (await Promise.all(pending)).map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(400);
  }, 90_000);

  it('sees only the functions its entry registered', async () => {
    const host = await start();
    expect(host.core.functions.map((f) => f.name).sort()).toEqual(['adminOnly', 'brokenStream', 'echo', 'getThing', 'open', 'putThing', 'slow', 'upload']);
    expect(host.core.hooks.get('appStart')).toHaveLength(1);
  });
});
