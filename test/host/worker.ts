/**
 * The language worker, in process: runs the app's appStart and appTerminate hooks with the
 * real host's time limits, times invocations against functionTimeout, and "restarts" itself
 * (appTerminate, then appStart again) when an invocation times out, as the real host restarts
 * the Node worker process. The app keeps its state in module singletons that appTerminate
 * tears down and that are recreated on first use, so a restart in process resets it as a new
 * worker process would.
 */
import { appRoot } from '../../functions/paths.js';
import type { FunctionsCore, HookCallback } from './functionsCore.js';

/**
 * How long worker initialisation (loading the entry and running the appStart hooks) may take:
 * `processOptions.initializationTimeout` "00:02:00" in Azure/azure-functions-nodejs-worker
 * `worker.config.json`; the worker runs the hooks inside its WorkerInitRequest handler
 * (`src/startApp.ts`, `src/eventHandlers/WorkerInitHandler.ts`) and the host waits that long for
 * the WorkerInitResponse before it fails and restarts the worker (Azure/azure-functions-host
 * `src/WebJobs.Script.Grpc/Channel/GrpcWorkerChannel.cs`, SendWorkerInitRequest / HandleWorkerInitError).
 */
export const INITIALIZATION_TIMEOUT_MS = 120_000;

/**
 * How long the host waits for the worker to exit once it has sent WorkerTerminate:
 * `WorkerTerminateGracePeriodInSeconds = 5` (Azure/azure-functions-host
 * `src/WebJobs.Script/Workers/WorkerConstants.cs`, used by GrpcWorkerChannel.StopWorkerProcess,
 * which then disposes, i.e. kills, the process). The worker runs the appTerminate hooks and then
 * calls `process.exit(0)` (Azure/azure-functions-nodejs-worker `src/eventHandlers/terminateWorker.ts`).
 */
export const WORKER_TERMINATE_GRACE_MS = 5_000;

/**
 * After functionTimeout the host waits this long for the function's task before it restarts the
 * worker: the host builds `TimeoutAttribute(functionTimeout)` with ThrowOnTimeout
 * (Azure/azure-functions-host `src/WebJobs.Script/CustomAttributeBuilderUtility.cs`), whose
 * GracePeriod defaults to 2 s (Azure/azure-webjobs-sdk `src/Microsoft.Azure.WebJobs/TimeoutAttribute.cs`),
 * and WebScriptHostExceptionHandler.OnTimeoutExceptionAsync waits that grace period.
 */
export const FUNCTION_TIMEOUT_GRACE_MS = 2_000;

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WorkerOptions {
  initializationTimeoutMs: number;
  terminateGraceMs: number;
  /** Infinity: no timeout (functionTimeout -1). */
  functionTimeoutMs: number;
  functionTimeoutGraceMs: number;
}

/** Per invocation: set when functionTimeout passed, so that its late writes are dropped. */
export interface Invocation {
  timedOut: boolean;
}

/** How a timed-out invocation fails, with the message of the WebJobs SDK's FunctionTimeoutException. */
export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    // Azure/azure-webjobs-sdk src/Microsoft.Azure.WebJobs.Host/Executors/FunctionExecutor.cs (TryHandleTimeoutAsync)
    super(`Timeout value of ${formatTimespan(timeoutMs)} was exceeded by function: Functions.${functionName}`);
    this.name = 'FunctionTimeoutException';
  }
}

/** Milliseconds as a .NET TimeSpan string ("00:10:00"). */
export function formatTimespan(ms: number): string {
  const s = ms / 1000;
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  const frac = ms % 1000 ? `.${String(ms % 1000).padStart(3, '0')}` : '';
  return `${pad(s / 3600)}:${pad((s % 3600) / 60)}:${pad(s % 60)}${frac}`;
}

/** Whether `promise` settles within `ms` (its rejection passes through). */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

const log = (message: string) => console.warn(`[test-host] ${message}`);

export class InProcessWorker {
  readonly #core: FunctionsCore;
  readonly #options: WorkerOptions;
  /** Which worker "process" is running: invocations of an earlier one restart nothing. */
  #generation = 0;
  #restarting: Promise<void> | undefined;
  #restarts = 0;
  /** Shut down (close()): no more restarts. */
  #closed = false;
  // The worker's hook data (worker.app.appHookData, appLevelOnlyHookData): a new process starts with new ones.
  #appHookData: Record<string, unknown> = {};
  #hookData: Record<string, unknown> = {};

  constructor(core: FunctionsCore, options: WorkerOptions) {
    this.#core = core;
    this.#options = options;
  }

  /** Times the worker was restarted after a function timeout. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Worker initialisation: runs the appStart hooks, one after another as the worker's
   * executeHooks does, within initializationTimeout. Past it the real host kills the worker and
   * starts another; in process there is none to restart, so this rejects.
   */
  async start(): Promise<void> {
    const context = { hookData: this.#hookData, appHookData: this.#appHookData, functionAppDirectory: appRoot };
    const ms = this.#options.initializationTimeoutMs;
    if (!(await within(this.#runHooks('appStart', context), ms))) {
      throw new Error(
        `worker initialisation timed out: the appStart hooks did not finish within ${ms} ms (initializationTimeout, ` +
          'azure-functions-nodejs-worker worker.config.json); the real host would restart the worker, the test host has none to restart',
      );
    }
  }

  /** Shuts the worker down for good: WorkerTerminate, and no restart after it. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#restarting;
    await this.terminate();
  }

  /**
   * WorkerTerminate: runs the appTerminate hooks and waits for them at most terminateGraceMs,
   * as the host waits for the worker process to exit before it kills it. Never rejects.
   */
  async terminate(): Promise<void> {
    const context = { hookData: this.#hookData, appHookData: this.#appHookData };
    const ms = this.#options.terminateGraceMs;
    const done = this.#runHooks('appTerminate', context).catch((err: unknown) => {
      log(`an appTerminate hook failed: ${(err as Error).message}`);
    });
    if (!(await within(done, ms))) {
      log(`the appTerminate hooks did not finish within the ${ms} ms grace period (WorkerTerminateGracePeriodInSeconds): the real host would now kill the worker process`);
    }
  }

  /**
   * Runs one invocation (`run`: the function and, for HTTP, writing its response). When it
   * lasts past functionTimeout the invocation fails with FunctionTimeoutError, after the host's
   * grace period and, if the function has still not finished, after the worker restarted, as in
   * Azure/azure-webjobs-sdk FunctionExecutor.TryExecuteAsync → HandleExceptionAsync →
   * Azure/azure-functions-host `src/WebJobs.Script.WebHost/WebScriptHostExceptionHandler.cs`
   * OnTimeoutExceptionAsync → RpcFunctionInvocationDispatcher.RestartWorkerWithInvocationIdAsync.
   * While the worker restarts, invocations wait (WorkerFunctionInvoker
   * DelayUntilFunctionDispatcherInitializedOrShutdown).
   */
  invoke<T>(functionName: string, invocation: Invocation, run: () => Promise<T>): Promise<T> {
    if (this.#restarting) return this.#restarting.then(() => this.#invoke(functionName, invocation, run));
    return this.#invoke(functionName, invocation, run);
  }

  #invoke<T>(functionName: string, invocation: Invocation, run: () => Promise<T>): Promise<T> {
    const generation = this.#generation;
    const task = run();
    const timeoutMs = this.#options.functionTimeoutMs;
    // Beyond setTimeout's range (about 24.8 days) is as good as none.
    if (timeoutMs > MAX_TIMER_MS) return task;
    return new Promise<T>((resolve, reject) => {
      // One timer per invocation, cleared when it ends.
      const timer = setTimeout(() => {
        invocation.timedOut = true;
        const error = new FunctionTimeoutError(functionName, timeoutMs);
        log(error.message);
        void this.#afterTimeout(functionName, task, generation).then(() => reject(error));
      }, timeoutMs);
      // The invocation's own work keeps the process alive, not its deadline.
      timer.unref();
      task.then(
        (value) => {
          if (invocation.timedOut) return;
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (invocation.timedOut) return;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  async #afterTimeout(functionName: string, task: Promise<unknown>, generation: number): Promise<void> {
    // "If the function task has completed, simply return. The host has already logged the timeout."
    const finished = await within(
      task.catch(() => undefined),
      this.#options.functionTimeoutGraceMs,
    );
    if (finished) return;
    // The worker that ran it was restarted already (RestartWorkerWithInvocationIdAsync finds no
    // channel), or the host is shutting down.
    if (generation !== this.#generation || this.#closed) return;
    await this.restart(`a function timeout in ${functionName}`);
  }

  /**
   * Restarts the worker: WorkerTerminate (appTerminate hooks, within the grace period), then a
   * new worker's initialisation (appStart hooks). One restart at a time.
   */
  restart(reason: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#restarting ??= (async () => {
      this.#generation++;
      this.#restarts++;
      log(`restarting the worker after ${reason}`);
      await this.terminate();
      this.#appHookData = {};
      this.#hookData = {};
      try {
        await this.start();
      } catch (err) {
        log(`the restarted worker failed to initialise: ${(err as Error).message}`);
      }
      log('restart of the worker completed');
    })().finally(() => {
      this.#restarting = undefined;
    });
    return this.#restarting;
  }

  async #runHooks(name: string, context: unknown): Promise<void> {
    const hooks: HookCallback[] = this.#core.hooks.get(name) ?? [];
    for (const hook of hooks) await hook(context);
  }
}
