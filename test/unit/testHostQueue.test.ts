/**
 * The test host's queue trigger against functionTimeout, on Azurite, with a tiny fixture app
 * (test/fixtures/host-app/queueApp.ts) registered through @azure/functions.
 */
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { control, FIXTURE_QUEUE, resetControl } from '../fixtures/host-app/control.js';
import { decodeMessageText, encodeMessageBody, poisonQueueName, queueDefaults } from '../host/queuePoller.js';
import { startTestHost, type TestHost } from '../host/testHost.js';
import { waitFor } from '../helpers/waitFor.js';

const queueApp = fileURLToPath(new URL('../fixtures/host-app/queueApp.ts', import.meta.url));
const httpApp = fileURLToPath(new URL('../fixtures/host-app/app.ts', import.meta.url));

let azurite: Azurite;
let queue: QueueClient;
const hosts: TestHost[] = [];

const until = (check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => waitFor(check, { timeoutMs: ms, what, intervalMs: 50 });

beforeAll(async () => {
  azurite = await startAzurite();
  queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(FIXTURE_QUEUE);
  await queue.createIfNotExists();
});

afterAll(async () => {
  resetControl();
  await Promise.all(hosts.map((h) => h.close()));
  await azurite?.stop();
  vi.restoreAllMocks();
});

describe('test host: queue invocations past functionTimeout', () => {
  // Azure/azure-sdk-for-net sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Queues/
  // QueueListener.cs (ProcessMessageAsync: the executor's FunctionResult goes to CompleteProcessingMessageAsync) and
  // QueueProcessor.cs (CompleteProcessingMessageAsync: a failed result is released with visibilityTimeout, or
  // moved to <queue>-poison after maxDequeueCount); a timeout is a failed result (Azure/azure-webjobs-sdk
  // FunctionExecutor.cs, FunctionTimeoutException) that also restarts the worker (Azure/azure-functions-host
  // src/WebJobs.Script.WebHost/WebScriptHostExceptionHandler.cs, OnTimeoutExceptionAsync).
  it('restarts the worker and leaves the message in the queue, to come back after visibilityTimeout as a failed try', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    resetControl();
    // When each try began, by the function's own clock (not when this test noticed).
    const began: number[] = [];
    control().onQueue = (_message, dequeueCount) => {
      began[dequeueCount] = Date.now();
      return dequeueCount === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
    };
    const host = await startTestHost({
      settings: { AzureWebJobsStorage: azurite.connectionString },
      entry: queueApp,
      functionTimeoutMs: 300,
      functionTimeoutGraceMs: 50,
      maxPollingIntervalMs: 200,
      queueLeaseSeconds: 60,
    });
    hosts.push(host);
    await queue.sendMessage(Buffer.from(JSON.stringify({ job: 1 })).toString('base64'));

    await until(() => host.queues.failures.length === 1, 30_000, 'the first try to time out');
    expect(host.queues.failures[0]).toMatchObject({ functionName: 'work', dequeueCount: 1 });
    expect(host.queues.failures[0]?.error).toMatch(/^Timeout value of 00:00:00\.300 was exceeded by function: Functions\.work$/);
    expect(host.workerRestarts).toBe(1);
    // Not deleted: still counted in the queue, though invisible for now.
    expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);

    // Back after visibilityTimeout (host.json: 3 s), not after the 60 s lease; then it succeeds and is deleted.
    // The message is made visible again visibilityTimeout after the first try timed out (300 ms in).
    await until(() => control().events.includes('work:2'), 45_000, 'the second try');
    const retriedAfter = (began[2] as number) - (began[1] as number);
    expect(retriedAfter).toBeGreaterThanOrEqual(queueDefaults.visibilityTimeoutMs);
    expect(retriedAfter).toBeLessThan(45_000);
    await until(async () => (await queue.getProperties()).approximateMessagesCount === 0 && !host.queues.busy, 30_000, 'the message to be deleted');
    expect(control().events).toEqual(['appStart', 'work:1', 'appTerminate', 'appStart', 'work:2']);
    expect(host.workerRestarts).toBe(1);
  }, 120_000);

  it('lets each host see only the functions and hooks its own entry registered', async () => {
    resetControl();
    const httpHost = await startTestHost({ settings: { AzureWebJobsStorage: azurite.connectionString }, entry: httpApp });
    hosts.push(httpHost);
    const queueHost = hosts[0] as TestHost;
    expect(queueHost.core.functions.map((f) => f.name)).toEqual(['work']);
    expect(httpHost.core.functions.map((f) => f.name)).not.toContain('work');
    expect(httpHost.core.functions.map((f) => f.name)).toContain('echo');
    expect(queueHost.core.hooks.get('appStart')).toHaveLength(1);
    expect(httpHost.core.hooks.get('appStart')).toHaveLength(1);
    // The http app's host started only its own appStart hook.
    expect(control().events).toEqual(['appStart']);
  });
});

// How the test host reads message text and names poison queues, after the WebJobs SDK listener's sources (its main
// cases are checked against the listener itself by test/integration/queueConformance.test.ts).
describe('test host: message text and poison queue names, as the queue listener reads them', () => {
  it.each([
    ['base64 of JSON', Buffer.from('{"batch":"b"}').toString('base64'), '{"batch":"b"}'],
    ['base64 broken into lines', Buffer.from('{"batch":"b"}').toString('base64').replace(/(.{4})/g, '$1\r\n'), '{"batch":"b"}'],
    ['empty text', '', ''],
    ['JSON that is not base64', '{"batch":"b"}', undefined],
    ['one group of four', 'eyJi', '{"b'],
    ['a group short of four', 'eyJ', undefined],
    ['padding inside', 'ab==cd==', undefined],
  ])('decodes %s', (_what, text, body) => {
    const decoded = decodeMessageText(text, 'base64');
    expect(decoded?.toString('utf8')).toBe(body);
  });

  it('writes a body back as canonical base64, and leaves text alone without an encoding', () => {
    expect(encodeMessageBody(Buffer.from('{"a":1}'), 'base64')).toBe('eyJhIjoxfQ==');
    expect(decodeMessageText('{"a":1}', 'none')?.toString()).toBe('{"a":1}');
    expect(encodeMessageBody(Buffer.from('{"a":1}'), 'none')).toBe('{"a":1}');
  });

  it.each([
    ['batch-chunks', 'batch-chunks-poison'],
    ['batch-chunks-poison', undefined],
    ['q'.repeat(56), `${'q'.repeat(56)}-poison`],
    ['q'.repeat(57), undefined],
  ])('names the poison queue of %s', (queue, poison) => {
    expect(poisonQueueName(queue)).toBe(poison);
  });
});
