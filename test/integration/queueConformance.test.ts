/**
 * The local test host's queue poller against the real thing: the WebJobs SDK's queue listener
 * (Microsoft.Azure.WebJobs.Extensions.Storage.Queues, which the Functions host runs for queue
 * triggers), hosted by the small program in test/webjobs-queue/ with host.json's queue options.
 *
 * The same messages go to each, on an Azurite of its own: messages written by the app's own
 * batch code (BatchStore.enqueueChunk and enqueueValidation, so the encoding is the app's),
 * and a few it never writes (text that is not base64, base64 broken into lines, a message
 * already past maxDequeueCount). Each side's functions record what they are given and fail
 * on the same messages (FAIL_RULES). Compared: the options in force, the body each function
 * gets, the tries of each message and their spacing, the poison queues and what lands there,
 * and that a success deletes its message.
 *
 * Needs the .NET SDK (`dotnet`): without it, and outside CI, the tests are skipped with the
 * reason; with CI=true a missing SDK or a failed build fails them.
 */
import { QueueServiceClient } from '@azure/storage-queue';
import { execa, type ResultPromise } from 'execa';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { BATCH_JOBS_QUEUE, BATCH_QUEUE } from '../../functions/config.js';
import { BatchStore, type ChunkMessage } from '../../functions/storage/batchStore.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { control, resetControl } from '../fixtures/host-app/control.js';
import { waitFor } from '../helpers/waitFor.js';
import { queueDefaults } from '../host/queuePoller.js';
import { startTestHost, type TestHost } from '../host/testHost.js';

const project = fileURLToPath(new URL('../webjobs-queue/WebJobsQueue.csproj', import.meta.url));
const buildDir = join(dirname(project), 'bin', 'conformance');
const fixtureApp = fileURLToPath(new URL('../fixtures/host-app/batchQueuesApp.ts', import.meta.url));

const dotnetFound = spawnSync('dotnet', ['--version'], { stdio: 'ignore' }).status === 0;
const skipReason =
  !dotnetFound && process.env.CI !== 'true'
    ? 'dotnet (the .NET SDK 10) is not on PATH, so the queue poller is not compared with the WebJobs SDK listener. ' +
      "Install the SDK (Debian: Microsoft's dotnet-sdk-10.0 package, see https://learn.microsoft.com/dotnet/core/install/linux); " +
      'the test then builds test/webjobs-queue/, restoring Microsoft.Azure.WebJobs 3.0.48 and ' +
      'Microsoft.Azure.WebJobs.Extensions.Storage.Queues 5.3.10 from NuGet. With CI=true a missing SDK fails this test.'
    : undefined;

/** A message whose body contains a marker fails while its dequeueCount is at most the number. */
const FAIL_RULES: Record<string, number> = { 'always-fail': 1000, 'fail-twice': 2 };
const fails = (body: string, dequeueCount: number): boolean => Object.entries(FAIL_RULES).some(([marker, tries]) => body.includes(marker) && dequeueCount <= tries);

const tryJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const poisonOf = (queue: string): string => `${queue}-poison`;

const model = { name: 'modèle-π', version: '2' };
const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const chunk = (batch: string, n: number): ChunkMessage => ({ batch, chunk: n, from: n * 10_000, model, type: 'prob', traceParent });

interface Case {
  name: string;
  queue: string;
  /** Puts the message on a side's queues, with the app's code where the app writes it. */
  send: (side: Storage) => Promise<void>;
  /** The body (UTF-8 text) a function should be given, if it is given one. */
  body: string;
  /** The dequeueCount of each try, as the real listener makes them. */
  tries: number[];
  /** The text it leaves in the poison queue, if it goes there. */
  poison?: string;
}

interface Storage {
  store: BatchStore;
  service: QueueServiceClient;
}

const tries = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const pastMax = chunk('b-past-max', 4);
const brokenLines = JSON.stringify(chunk('b-always-fail-lines', 5));
const notBase64 = JSON.stringify(chunk('b-not-base64', 6));

const cases: Case[] = [
  { name: 'a chunk that succeeds', queue: BATCH_QUEUE, send: (s) => s.store.enqueueChunk(chunk('b-ok', 0)), body: JSON.stringify(chunk('b-ok', 0)), tries: [1] },
  { name: 'a chunk that fails twice', queue: BATCH_QUEUE, send: (s) => s.store.enqueueChunk(chunk('b-fail-twice', 1)), body: JSON.stringify(chunk('b-fail-twice', 1)), tries: tries(3) },
  {
    name: 'a chunk that always fails',
    queue: BATCH_QUEUE,
    send: (s) => s.store.enqueueChunk(chunk('b-always-fail', 2)),
    body: JSON.stringify(chunk('b-always-fail', 2)),
    tries: tries(queueDefaults.maxDequeueCount),
    poison: base64(JSON.stringify(chunk('b-always-fail', 2))),
  },
  { name: 'a validation job that succeeds', queue: BATCH_JOBS_QUEUE, send: (s) => s.store.enqueueValidation('j-ok'), body: JSON.stringify({ kind: 'validate', batch: 'j-ok' }), tries: [1] },
  {
    name: 'a validation job that always fails',
    queue: BATCH_JOBS_QUEUE,
    send: (s) => s.store.enqueueValidation('j-always-fail'),
    body: JSON.stringify({ kind: 'validate', batch: 'j-always-fail' }),
    tries: tries(queueDefaults.maxDequeueCount),
    poison: base64(JSON.stringify({ kind: 'validate', batch: 'j-always-fail' })),
  },
  {
    // Sent (and dequeued) before the listeners start: see prepare().
    name: 'a chunk already dequeued maxDequeueCount times',
    queue: BATCH_QUEUE,
    send: async () => undefined,
    body: JSON.stringify(pastMax),
    tries: [],
    poison: base64(JSON.stringify(pastMax)),
  },
  {
    name: 'text that is not base64',
    queue: BATCH_QUEUE,
    send: async (s) => void (await s.service.getQueueClient(BATCH_QUEUE).sendMessage(notBase64)),
    body: notBase64,
    tries: [],
    poison: notBase64,
  },
  {
    name: 'base64 broken into lines, failing',
    queue: BATCH_QUEUE,
    send: async (s) => void (await s.service.getQueueClient(BATCH_QUEUE).sendMessage(base64(brokenLines).replace(/(.{16})/g, '$1\n'))),
    body: brokenLines,
    tries: tries(queueDefaults.maxDequeueCount),
    // The poison queue's client encodes the decoded body again: no line breaks.
    poison: base64(brokenLines),
  },
];

/** One invocation as a side's function recorded it. */
interface Invocation {
  queue: string;
  dequeueCount: number;
  /** When it began, in ms since the epoch, by that side's clock. */
  at: number;
  /** What the function was given: the real one's string; the test host's value (JSON parsed, as the Node library parses it). */
  given: unknown;
}

/** The case an invocation is of: the one whose body is what the function was given. */
function caseOf(inv: Invocation, side: 'real' | 'local'): Case | undefined {
  return cases.find((c) => c.queue === inv.queue && (side === 'real' ? inv.given === c.body : isDeepStrictEqual(inv.given, tryJson(c.body))));
}

interface Side {
  azurite: Azurite;
  storage: Storage;
}

let real: Side | undefined;
let local: Side | undefined;
let listener: ResultPromise | undefined;
let listenerErr = '';
let testHost: TestHost | undefined;
const recordsFile = join(mkdtempSync(join(tmpdir(), 'webjobs-queue-')), 'invocations.jsonl');
const localInvocations: Invocation[] = [];
let startedMs = 0;
let settledMs = 0;

/** The real listener's records: its options, then one line per invocation. */
function realRecords(): { options: Record<string, unknown>; invocations: Invocation[] } {
  let text = '';
  try {
    text = readFileSync(recordsFile, 'utf8');
  } catch {
    /* nothing written yet */
  }
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; options?: Record<string, unknown>; queue: string; dequeueCount: number; at: number; body: string });
  return {
    options: lines.find((l) => l.event === 'started')?.options ?? {},
    invocations: lines.filter((l) => l.event === 'invocation').map((l) => ({ queue: l.queue, dequeueCount: l.dequeueCount, at: l.at, given: l.body })),
  };
}

async function side(): Promise<Side> {
  const azurite = await startAzurite();
  const access = { kind: 'connectionString' as const, connectionString: azurite.connectionString };
  const store = BatchStore.connect(access, { batches: 'batches', inputs: 'batch-inputs', queue: BATCH_QUEUE, jobs: BATCH_JOBS_QUEUE });
  await store.ensure();
  return { azurite, storage: { store, service: QueueServiceClient.fromConnectionString(azurite.connectionString) } };
}

/**
 * Puts every case's message on a side's queues. The past-max chunk goes first, alone, and is
 * received maxDequeueCount times and let go (as a host that died with it would), so that it
 * comes to the listener with a dequeueCount past the limit.
 */
async function prepare(s: Storage): Promise<void> {
  const queue = s.service.getQueueClient(BATCH_QUEUE);
  await s.store.enqueueChunk(pastMax);
  for (let i = 1; i <= queueDefaults.maxDequeueCount; i++) {
    const [m] = (await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 30 })).receivedMessageItems;
    if (!m || m.dequeueCount !== i) throw new Error(`preparing the past-max chunk: receive ${i} gave ${m ? `dequeueCount ${m.dequeueCount}` : 'no message'}`);
    await queue.updateMessage(m.messageId, m.popReceipt, undefined, 0);
  }
  for (const c of cases) await c.send(s);
}

/** Messages left in a side's batch queues (visible or not). */
async function left(s: Storage): Promise<number> {
  const counts = await Promise.all([BATCH_QUEUE, BATCH_JOBS_QUEUE].map(async (q) => (await s.service.getQueueClient(q).getProperties()).approximateMessagesCount ?? 0));
  return counts.reduce((a, b) => a + b, 0);
}

async function dotnetBuild(): Promise<void> {
  if (!dotnetFound) {
    throw new Error('dotnet (the .NET SDK 10) is not on PATH, and CI=true: the queue poller must be compared with the WebJobs SDK listener here. Install the SDK (see https://learn.microsoft.com/dotnet/core/install/linux).');
  }
  const build = await execa('dotnet', ['build', project, '-o', buildDir, '--nologo', '-v', 'quiet', '-clp:NoSummary'], {
    reject: false,
    all: true,
    env: { DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  if (build.exitCode !== 0) throw new Error(`dotnet build of test/webjobs-queue failed (exit ${build.exitCode}):\n${String(build.all).slice(-4000)}`);
}

beforeAll(async () => {
  if (skipReason) {
    console.warn(`queue conformance skipped: ${skipReason}`);
    return;
  }
  const t0 = Date.now();
  const [, r, l] = await Promise.all([dotnetBuild(), side(), side()]);
  real = r;
  local = l;
  await Promise.all([prepare(real.storage), prepare(local.storage)]);

  resetControl();
  control().onBatchQueue = async (queue, message, meta) => {
    const dequeueCount = Number(meta.dequeueCount);
    localInvocations.push({ queue, dequeueCount, at: Date.now(), given: message });
    if (fails(typeof message === 'string' ? message : JSON.stringify(message), dequeueCount)) throw new Error(`fails on purpose (try ${dequeueCount})`);
  };

  startedMs = Date.now();
  listener = execa('dotnet', [join(buildDir, 'WebJobsQueue.dll')], {
    reject: false,
    cleanup: true,
    env: {
      AzureWebJobsStorage: real.azurite.connectionString,
      HOST_JSON: join(appRoot, 'host.json'),
      BATCH_QUEUE,
      BATCH_JOBS_QUEUE,
      FAIL_RULES: JSON.stringify(FAIL_RULES),
      RECORDS_FILE: recordsFile,
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      DOTNET_NOLOGO: '1',
    },
  });
  listener.stderr?.on('data', (d: Buffer) => (listenerErr = (listenerErr + d.toString()).slice(-4000)));
  testHost = await startTestHost({ settings: { AzureWebJobsStorage: local.azurite.connectionString }, entry: fixtureApp });

  // Done when each side's batch queues are empty: every message deleted or moved to a poison queue.
  const realSide = real;
  const localSide = local;
  await waitFor(
    async () => {
      if (listener?.exitCode !== null && listener?.exitCode !== undefined) throw new Error(`the WebJobs listener exited (${listener.exitCode}): ${listenerErr}`);
      return (await left(realSide.storage)) === 0 && (await left(localSide.storage)) === 0 && !testHost?.queues.busy;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: 'both listeners to empty the batch queues (each message deleted or moved to its poison queue)',
      last: async () => ({ real: await left(realSide.storage), local: await left(localSide.storage), realInvocations: realRecords().invocations.length, localInvocations: localInvocations.length, listenerStderr: listenerErr.slice(-1000) }),
    },
  );
  settledMs = Date.now();
  console.info(`queue conformance: build and storage ${startedMs - t0} ms, both listeners done ${settledMs - startedMs} ms later`);
}, 240_000);

afterAll(async () => {
  resetControl();
  listener?.kill('SIGTERM');
  const timer = setTimeout(() => listener?.kill('SIGKILL'), 10_000);
  await listener;
  clearTimeout(timer);
  await testHost?.close();
  await Promise.all([real?.azurite.stop(), local?.azurite.stop()]);
});

/** Each case's invocations on a side, in order; and those that match no case (a body decoded otherwise). */
function byCase(invocations: Invocation[], s: 'real' | 'local'): { of: Map<Case, Invocation[]>; unmatched: Invocation[] } {
  const of = new Map<Case, Invocation[]>(cases.map((c) => [c, []]));
  const unmatched: Invocation[] = [];
  for (const inv of [...invocations].sort((a, b) => a.at - b.at)) {
    const c = caseOf(inv, s);
    if (c) of.get(c)?.push(inv);
    else unmatched.push(inv);
  }
  return { of, unmatched };
}

async function queueNames(s: Storage): Promise<string[]> {
  const names: string[] = [];
  for await (const q of s.service.listQueues()) names.push(q.name);
  return names.sort();
}

async function poisonTexts(s: Storage, queue: string): Promise<string[]> {
  const q = s.service.getQueueClient(poisonOf(queue));
  if (!(await q.exists())) return [];
  return (await q.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText).sort();
}

describe("queue semantics: the test host's poller and the WebJobs SDK listener", () => {
  it('run with the queue options of host.json', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const { batchSize, newBatchThreshold, maxDequeueCount, visibilityTimeoutMs, maxPollingIntervalMs, messageEncoding } = queueDefaults;
    expect(realRecords().options).toEqual({ batchSize, newBatchThreshold, maxDequeueCount, visibilityTimeoutMs, maxPollingIntervalMs, messageEncoding });
  });

  it('give each function the same body, decoded from the base64 the app writes', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const r = byCase(realRecords().invocations, 'real');
    const l = byCase(localInvocations, 'local');
    // An invocation matching no case was given a body decoded otherwise.
    expect(r.unmatched, 'real listener: invocations with a body no message has').toEqual([]);
    expect(l.unmatched, 'test host: invocations with a body no message has').toEqual([]);
    for (const c of cases) {
      for (const inv of r.of.get(c) ?? []) expect(inv.given, `real listener, ${c.name}`).toBe(c.body);
      // The Node library hands a function the host's string parsed as JSON where it is JSON.
      for (const inv of l.of.get(c) ?? []) expect(inv.given, `test host, ${c.name}`).toEqual(tryJson(c.body));
    }
  });

  it('try each message as often: once on success, maxDequeueCount times on failure, never when undecodable or past the limit', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const r = byCase(realRecords().invocations, 'real');
    const l = byCase(localInvocations, 'local');
    for (const c of cases) {
      const realTries = (r.of.get(c) ?? []).map((i) => i.dequeueCount);
      expect(realTries, `real listener: the tries of ${c.name}`).toEqual(c.tries);
      expect((l.of.get(c) ?? []).map((i) => i.dequeueCount), `test host: the tries of ${c.name}`).toEqual(realTries);
    }
  });

  it('retry a failed message visibilityTimeout after it failed', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const vt = queueDefaults.visibilityTimeoutMs;
    const gaps = (invs: Invocation[]) => invs.slice(1).map((inv, i) => inv.at - (invs[i] as Invocation).at);
    const r = byCase(realRecords().invocations, 'real');
    const l = byCase(localInvocations, 'local');
    for (const c of cases.filter((x) => x.tries.length > 1)) {
      const realGaps = gaps(r.of.get(c) ?? []);
      const localGaps = gaps(l.of.get(c) ?? []);
      expect(localGaps.length, `test host: retries of ${c.name}`).toBe(realGaps.length);
      // Generous: never before visibilityTimeout (less a little for the storage clock), and
      // well within a few visibilityTimeouts of polling (maxPollingInterval is far shorter).
      for (const [who, list] of [['real listener', realGaps], ['test host', localGaps]] as const) {
        for (const gap of list) {
          expect(gap, `${who}: a retry of ${c.name} came ${gap} ms after the try before (${list.join(', ')})`).toBeGreaterThanOrEqual(vt * 0.9);
          expect(gap, `${who}: a retry of ${c.name} came ${gap} ms after the try before (${list.join(', ')})`).toBeLessThanOrEqual(vt * 3 + 2000);
        }
      }
    }
  });

  it('name the poison queues <queue>-poison and leave the same texts in them', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const realNames = await queueNames((real as Side).storage);
    expect(realNames).toEqual([BATCH_QUEUE, poisonOf(BATCH_QUEUE), BATCH_JOBS_QUEUE, poisonOf(BATCH_JOBS_QUEUE)].sort());
    expect(await queueNames((local as Side).storage)).toEqual(realNames);
    for (const queue of [BATCH_QUEUE, BATCH_JOBS_QUEUE]) {
      const expected = cases.filter((c) => c.queue === queue && c.poison !== undefined).map((c) => c.poison).sort();
      const realTexts = await poisonTexts((real as Side).storage, queue);
      expect(realTexts, `real listener: ${poisonOf(queue)}`).toEqual(expected);
      expect(await poisonTexts((local as Side).storage, queue), `test host: ${poisonOf(queue)}`).toEqual(realTexts);
    }
  });

  it('delete a message once its function succeeds', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    // The batch queues are empty on both sides (the wait above), and no message that
    // succeeded is in a poison queue (the exact poison texts above): each success was deleted.
    expect(await left((real as Side).storage)).toBe(0);
    expect(await left((local as Side).storage)).toBe(0);
    const succeeded = cases.filter((c) => c.poison === undefined && c.tries.length > 0);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const s of [real, local] as Side[]) {
      const poisoned = [...(await poisonTexts(s.storage, BATCH_QUEUE)), ...(await poisonTexts(s.storage, BATCH_JOBS_QUEUE))];
      for (const c of succeeded) expect(poisoned).not.toContain(base64(c.body));
    }
  });
});
