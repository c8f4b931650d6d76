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
  };
}

export const queueDefaults = readQueueSettings();

interface QueueFunction {
  fn: RegisteredFunction;
  queue: QueueClient;
  poison: QueueClient;
}

/**
 * Runs queue triggers as the Functions host does: polls each queue (backing off while it is
 * empty, fetching the next batch once in-flight messages drop to newBatchThreshold), decodes base64 messages, passes JSON as objects with the trigger metadata
 * (dequeueCount, id, ...), deletes a message when its function succeeds, makes it visible
 * again when it fails, and after maxDequeueCount tries moves it to `<queue>-poison`.
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
      this.#functions.push({ fn, queue: service.getQueueClient(name), poison: service.getQueueClient(`${name}-poison`) });
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
      const text = Buffer.from(message.messageText, 'base64').toString('utf8');
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
        if (message.dequeueCount >= queueDefaults.maxDequeueCount) {
          await f.poison.createIfNotExists();
          await f.poison.sendMessage(message.messageText);
          await f.queue.deleteMessage(message.messageId, message.popReceipt).catch(() => undefined);
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
}
