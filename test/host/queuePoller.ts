import functions from '@azure/functions';
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appRoot } from '../../functions/paths.js';
import type { FunctionsCore, RegisteredFunction } from './functionsCore.js';
import type { InProcessWorker } from './worker.js';

const { InvocationContext } = functions;

/** "hh:mm:ss" (a host.json timespan) in milliseconds. */
export function timespanMs(value: string | undefined, fallback: number): number {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value ?? '');
  return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : fallback;
}

/** The app's queue settings from host.json (extensions.queues), with the host's defaults. */
function readQueueSettings() {
  const host = JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')) as { extensions?: { queues?: Record<string, unknown> } };
  const q = host.extensions?.queues ?? {};
  const batchSize = Number(q.batchSize ?? 16);
  return {
    batchSize,
    /** Fetch more once in-flight messages drop to this many (the host's default: half a batch). */
    newBatchThreshold: Number(q.newBatchThreshold ?? Math.floor(batchSize / 2)),
    maxDequeueCount: Number(q.maxDequeueCount ?? 5),
    visibilityTimeoutMs: timespanMs(q.visibilityTimeout as string | undefined, 0),
    maxPollingIntervalMs: timespanMs(q.maxPollingInterval as string | undefined, 60_000),
    minPollingIntervalMs: 50,
    /** How message text carries the body: "base64" (the host's default) or "none" (the text is the body). */
    messageEncoding: String(q.messageEncoding ?? 'base64').toLowerCase() === 'none' ? ('none' as const) : ('base64' as const),
  };
}

/**
 * A message's body from its text as the host's queue client decodes it: base64 as .NET's
 * Convert.FromBase64String reads it (whitespace ignored; otherwise only the base64 alphabet,
 * in whole groups of four, padded with at most two "="); undefined when it is not base64,
 * where Node's Buffer.from would decode whatever it could. With messageEncoding "none" the
 * text is the body.
 */
export function decodeMessageText(text: string, encoding: 'base64' | 'none' = queueDefaults.messageEncoding): Buffer | undefined {
  if (encoding === 'none') return Buffer.from(text, 'utf8');
  const compact = text.replace(/[ \t\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** The text the host's queue client writes for a body: base64 (canonical, whatever the text it was read from), or the body itself. */
export function encodeMessageBody(body: Buffer, encoding: 'base64' | 'none' = queueDefaults.messageEncoding): string {
  return encoding === 'none' ? body.toString('utf8') : body.toString('base64');
}

/**
 * The poison queue of a queue, as the listener names it: `<queue>-poison`, unless the queue
 * is itself a poison queue or the name would pass 63 characters (then it has none).
 * Azure/azure-sdk-for-net sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/Listeners/
 * QueueListenerFactory.cs, CreatePoisonQueueReference.
 */
export function poisonQueueName(queue: string): string | undefined {
  return queue.endsWith('-poison') || queue.length + '-poison'.length > 63 ? undefined : `${queue}-poison`;
}

export const queueDefaults = readQueueSettings();

interface QueueFunction {
  fn: RegisteredFunction;
  queue: QueueClient;
  /** None for a queue that has no poison queue: a message that fails there stays invisible for its lease. */
  poison: QueueClient | undefined;
}

/**
 * Runs queue triggers as the Functions host does: polls each queue (backing off while it is
 * empty, fetching the next batch once in-flight messages drop to newBatchThreshold), decodes
 * base64 messages, passes JSON as objects with the trigger metadata (dequeueCount, id, ...),
 * deletes a message when its function succeeds, makes it visible again visibilityTimeout
 * after it fails, and after maxDequeueCount tries moves its body (base64 again) to
 * `<queue>-poison`. A message that is not base64, or that comes with a dequeueCount past
 * maxDequeueCount, goes to the poison queue untried. Checked against the WebJobs SDK's own
 * listener by test/integration/queueConformance.test.ts.
 */
export class QueuePoller {
  readonly #functions: QueueFunction[] = [];
  readonly #maxPollingIntervalMs: number;
  #running = false;
  #loops: Promise<void>[] = [];
  #inFlight = 0;
  /** Invocations that threw, for tests to inspect. */
  readonly failures: { functionName: string; dequeueCount: number; error: string }[] = [];

  readonly #leaseSeconds: number;
  readonly #worker: InProcessWorker | undefined;

  constructor(
    core: FunctionsCore,
    settings: Record<string, string>,
    options: { maxPollingIntervalMs?: number; leaseSeconds?: number; worker?: InProcessWorker } = {},
  ) {
    this.#maxPollingIntervalMs = options.maxPollingIntervalMs ?? queueDefaults.maxPollingIntervalMs;
    this.#leaseSeconds = options.leaseSeconds ?? 60;
    this.#worker = options.worker;
    for (const fn of core.functions) {
      const trigger = Object.values(fn.bindings).find((b) => b.type === 'queueTrigger');
      if (!trigger) continue;
      const connection = settings[String(trigger.connection ?? 'AzureWebJobsStorage')] ?? settings.AzureWebJobsStorage;
      if (!connection) throw new Error(`queue trigger ${fn.name} has no connection setting`);
      const service = QueueServiceClient.fromConnectionString(connection);
      const name = String(trigger.queueName);
      const poison = poisonQueueName(name);
      this.#functions.push({ fn, queue: service.getQueueClient(name), poison: poison === undefined ? undefined : service.getQueueClient(poison) });
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = this.#functions.map((f) => this.#poll(f));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.allSettled(this.#loops);
    while (this.#inFlight > 0) await sleep(10);
  }

  /** Resolves when no invocation is running (the queues themselves may still hold messages). */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  async #poll(f: QueueFunction): Promise<void> {
    let delay = queueDefaults.minPollingIntervalMs;
    let inFlight = 0;
    let slotFreed: (() => void) | undefined;
    while (this.#running) {
      if (inFlight > queueDefaults.newBatchThreshold) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        await f.queue.createIfNotExists();
        const res = await f.queue.receiveMessages({ numberOfMessages: queueDefaults.batchSize, visibilityTimeout: this.#leaseSeconds });
        messages = res.receivedMessageItems;
      } catch {
        messages = [];
      }
      if (messages.length === 0) {
        await sleep(delay);
        delay = Math.min(this.#maxPollingIntervalMs, delay * 2);
        continue;
      }
      delay = queueDefaults.minPollingIntervalMs;
      for (const m of messages) {
        inFlight++;
        void this.#invoke(f, m)
          .catch(() => undefined)
          .finally(() => {
          inFlight--;
          slotFreed?.();
          slotFreed = undefined;
        });
      }
    }
  }

  async #invoke(f: QueueFunction, message: DequeuedMessageItem): Promise<void> {
    this.#inFlight++;
    try {
      const body = decodeMessageText(message.messageText);
      // Text that is not base64 fails the queue client's decoding: the extension's handler for
      // that moves it, as it is and untried, to the poison queue (Azure/azure-sdk-for-net
      // sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/QueueServiceClientProvider.cs,
      // CreateMessageDecodingFailedHandler).
      if (body === undefined) {
        await this.#toPoison(f, message, message.messageText);
        return;
      }
      // Already past maxDequeueCount (its tries ended without completing, as when their host
      // died): moved to the poison queue untried (Shared/Queues/QueueProcessor.cs, BeginProcessingMessageAsync).
      // The poison queue's client encodes the body again, so the text there is canonical base64.
      if (message.dequeueCount > queueDefaults.maxDequeueCount) {
        await this.#toPoison(f, message, encodeMessageBody(body));
        return;
      }
      const text = body.toString('utf8');
      let payload: unknown = text;
      try {
        payload = JSON.parse(text);
      } catch {
        /* not JSON: the function gets the string */
      }
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: f.fn.name,
        triggerMetadata: {
          id: message.messageId,
          dequeueCount: message.dequeueCount,
          insertionTime: message.insertedOn,
          expirationTime: message.expiresOn,
          nextVisibleTime: message.nextVisibleOn,
          popReceipt: message.popReceipt,
        },
        logHandler: (level, ...args) => {
          if (level === 'error') console.error(`[${f.fn.name}] ${args.join(' ')}`);
        },
      });
      try {
        // Through the worker: past functionTimeout the invocation fails (after the worker's
        // restart) like any failed one: the message is not deleted but released with
        // visibilityTimeout, or moved to the poison queue after maxDequeueCount tries
        // (Azure/azure-sdk-for-net sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Queues/
        // QueueListener.cs ProcessMessageAsync → QueueProcessor.cs CompleteProcessingMessageAsync).
        if (this.#worker) await this.#worker.invoke(f.fn.name, { timedOut: false }, async () => void (await f.fn.handler(payload, context)));
        else await f.fn.handler(payload, context);
        await f.queue.deleteMessage(message.messageId, message.popReceipt).catch(() => undefined);
      } catch (err) {
        this.failures.push({ functionName: f.fn.name, dequeueCount: message.dequeueCount, error: (err as Error).message });
        // A queue without a poison queue keeps a failed message invisible (for its lease), rather than retrying it at once.
        if (!f.poison) return;
        if (message.dequeueCount >= queueDefaults.maxDequeueCount) {
          await this.#toPoison(f, message, encodeMessageBody(body));
        } else {
          await f.queue
            .updateMessage(message.messageId, message.popReceipt, undefined, queueDefaults.visibilityTimeoutMs / 1000)
            .catch(() => undefined);
        }
      }
    } finally {
      this.#inFlight--;
    }
  }

  /** Adds `text` to the function's poison queue (creating it) and deletes the message; nothing where there is no poison queue. */
  async #toPoison(f: QueueFunction, message: DequeuedMessageItem, text: string): Promise<void> {
    if (!f.poison) return;
    await f.poison.createIfNotExists();
    await f.poison.sendMessage(text);
    await f.queue.deleteMessage(message.messageId, message.popReceipt).catch(() => undefined);
  }
}
