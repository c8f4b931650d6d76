import type { BudgetClaimant, CallBudget } from './callBudget.js';
import { AppError } from '../errors.js';
import type { ColumnBatch } from '../scoring/inputValidator.js';
import { encodeCall, splitPredictions, type PredictionResult } from './scoreCall.js';
import { ModelLoadError, type Worker, type WorkerFactory } from './worker.js';

export interface PoolOptions {
  /** Number of R processes. */
  size: number;
  /** Requests allowed to wait for a worker; beyond this, 503 with Retry-After. */
  queueLimit: number;
  /** Time from submit to answer; past it, 504 and the worker holding the call is recycled. */
  timeoutMs: number;
  /** Rows merged into one R call at most (1 turns merging off). */
  maxBatchRows: number;
  /**
   * While another call is in flight (the sign of load), an idle worker waits up to this
   * long for more requests to merge before it calls R. With no load, it never waits.
   */
  maxWaitMs?: number;
  /** Told of every R call and every worker restart (telemetry). */
  observer?: PoolObserver;
  /** Seconds suggested in Retry-After when overloaded. */
  retryAfterSeconds: number;
  /** Shared with the other versions of the model: R calls in flight across them at most. */
  budget?: CallBudget;
}

/** One R call, as the pool saw it: no rows, no predictions, only counts and timings. */
export interface CallReport {
  workerId: number;
  durationMs: number;
  outcome: 'ok' | 'error' | 'timeout' | 'crashed';
  status: number;
  /** R's own error message, when R answered with an error. */
  error?: string;
  jobs: { rows: number; waitedMs: number; traceParent: string | undefined }[];
}

export interface PoolObserver {
  call?(report: CallReport): void;
  restart?(): void;
}

export interface PoolStats {
  /** R calls made so far. */
  calls: number;
  size: number;
  ready: number;
  busy: number;
  queued: number;
  restarts: number;
  state: PoolState;
}

export type PoolState = 'starting' | 'ready' | 'degraded' | 'failed' | 'closed';

interface Job {
  batch: ColumnBatch;
  enqueuedAt: number;
  deadline: number;
  attempts: number;
  /** Set when the job must not be merged with others again (after a merged call failed). */
  alone: boolean;
  /** Scored after the answer (a shadow): never waits for, nor takes, the shared budget. */
  background: boolean;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  resolve(result: PredictionResult): void;
  reject(err: AppError): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Became ready at least once: its death is a crash, not a failure to start. */
  served: boolean;
  busy: boolean;
  retired: boolean;
  exited: boolean;
  failures: number;
}

const MAX_ATTEMPTS = 2;

/** Runs an observer callback; telemetry must never break scoring. */
function observe(callback: () => void): void {
  try {
    callback();
  } catch (err) {
    console.error(`pool observer failed: ${(err as Error).message}`);
  }
}

/**
 * A fixed number of R workers for one model version. Each worker takes one call at a time;
 * a call goes to an idle worker at once, and while all are busy, requests wait in a bounded
 * queue. When a worker frees up it takes the waiting requests of the same prediction type
 * together (up to maxBatchRows rows) as one R call, so load merges requests by itself.
 */
export class WorkerPool {
  readonly #factory: WorkerFactory;
  readonly #options: PoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 0;
  #restarts = 0;
  #closed = false;
  #loadError: ModelLoadError | undefined;
  #firstReady: Promise<void>;
  #resolveFirstReady!: () => void;
  #rejectFirstReady!: (err: Error) => void;
  #lastUsed = Date.now();
  #inFlight = 0;
  #waitTimer: NodeJS.Timeout | undefined;
  #wakeAt = 0;
  #calls = 0;
  #rowsScored = 0;

  constructor(factory: WorkerFactory, options: PoolOptions) {
    this.#factory = factory;
    this.#options = options;
    this.#firstReady = new Promise<void>((resolve, reject) => {
      this.#resolveFirstReady = resolve;
      this.#rejectFirstReady = reject;
    });
    this.#firstReady.catch(() => undefined);
    for (let i = 0; i < options.size; i++) this.#startSlot(i, 0);
  }

  /** Resolves once one worker is ready; rejects if the model cannot load. */
  ready(): Promise<void> {
    return this.#firstReady;
  }

  get lastUsed(): number {
    return this.#lastUsed;
  }

  /** Requests queued or being scored. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  stats(): PoolStats {
    const ready = this.#slots.filter((s) => s.ready).length;
    let state: PoolState;
    if (this.#closed) state = 'closed';
    else if (this.#loadError) state = 'failed';
    else if (ready === 0) state = 'starting';
    else if (ready < this.#options.size) state = 'degraded';
    else state = 'ready';
    return {
      calls: this.#calls,
      size: this.#options.size,
      ready,
      busy: this.#slots.filter((s) => s.busy).length,
      queued: this.#queue.length,
      restarts: this.#restarts,
      state,
    };
  }

  /** The worker processes' ids, for tests that kill one from outside. */
  pids(): number[] {
    return this.#slots.map((s) => s.worker.pid).filter((p): p is number => p !== undefined);
  }

  /**
   * Scores a validated batch. Rejects with an AppError (503, 504, 500, 422). `background`
   * (a shadow call) runs outside the model's shared budget, so it never holds up requests.
   */
  score(batch: ColumnBatch, options: { background?: boolean } = {}): Promise<PredictionResult> {
    this.#lastUsed = Date.now();
    if (this.#closed) return Promise.reject(new AppError('model_unavailable', 'This model version is shutting down.', { retryAfter: 1 }));
    if (this.#loadError) return Promise.reject(this.#unavailable());
    if (this.#queue.length >= this.#options.queueLimit) {
      return Promise.reject(
        new AppError('overloaded', 'Too many requests are waiting for this model. Try again shortly.', { retryAfter: this.#options.retryAfterSeconds }),
      );
    }
    return new Promise<PredictionResult>((resolve, reject) => {
      const job: Job = {
        batch,
        enqueuedAt: performance.now(),
        deadline: Date.now() + this.#options.timeoutMs,
        attempts: 0,
        alone: false,
        background: options.background === true,
        timer: undefined,
        settled: false,
        resolve: (r) => {
          if (job.settled) return;
          job.settled = true;
          clearTimeout(job.timer);
          resolve(r);
        },
        reject: (e) => {
          if (job.settled) return;
          job.settled = true;
          clearTimeout(job.timer);
          reject(e);
        },
      };
      job.timer = setTimeout(() => this.#expireQueued(job), this.#options.timeoutMs);
      job.timer.unref?.();
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Stops every worker; waiting requests get 503. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#waitTimer);
    this.#options.budget?.withdraw(this.#claimant);
    for (const job of this.#queue.splice(0)) {
      job.reject(new AppError('model_unavailable', 'This model version was shut down.', { retryAfter: 1 }));
    }
    this.#rejectFirstReady(new Error('closed'));
    const exits = this.#slots.map(
      (slot) =>
        new Promise<void>((resolve) => {
          slot.retired = true;
          if (slot.exited) return resolve();
          slot.worker.onExit(resolve);
          slot.worker.kill('SIGTERM');
          setTimeout(() => {
            slot.worker.kill('SIGKILL');
            resolve();
          }, 2000).unref?.();
        }),
    );
    await Promise.all(exits);
  }

  /** Waits for calls in flight and queued to finish, then closes. */
  async drain(): Promise<void> {
    while (this.pending > 0 && !this.#closed) await new Promise((r) => setTimeout(r, 20));
    await this.close();
  }

  #unavailable(): AppError {
    return new AppError('model_unavailable', 'This model version cannot be loaded by R.', { retryAfter: 30, cause: this.#loadError });
  }

  #startSlot(index: number, failures: number): void {
    const worker = this.#factory(this.#nextId++);
    const slot: Slot = { worker, ready: false, served: false, busy: false, retired: false, exited: false, failures };
    this.#slots[index] = slot;
    worker.onExit(() => {
      slot.exited = true;
      this.#onExit(slot, index);
    });
    worker.ready().then(
      () => {
        if (slot.retired || this.#closed) return;
        slot.ready = true;
        slot.served = true;
        this.#resolveFirstReady();
        this.#pump();
      },
      (err: unknown) => {
        if (err instanceof ModelLoadError && !this.#loadError) {
          this.#loadError = err;
          this.#rejectFirstReady(err);
          for (const job of this.#queue.splice(0)) job.reject(this.#unavailable());
        }
        slot.worker.kill('SIGKILL');
      },
    );
  }

  /**
   * A worker exited: start another in its place at once, or, if workers keep dying before
   * they are ready (a crash loop), after a growing delay.
   */
  #onExit(slot: Slot, index: number): void {
    slot.ready = false;
    if (slot.retired) return;
    slot.retired = true;
    if (this.#closed || this.#loadError || this.#slots[index] !== slot) return;
    this.#restarts++;
    observe(() => this.#options.observer?.restart?.());
    const failures = slot.served ? 0 : slot.failures + 1;
    const delay = failures <= 1 ? 0 : Math.min(5000, 100 * 2 ** (failures - 2));
    setTimeout(() => {
      if (!this.#closed && this.#slots[index] === slot) this.#startSlot(index, failures);
    }, delay).unref?.();
  }

  #expireQueued(job: Job): void {
    const index = this.#queue.indexOf(job);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    job.reject(new AppError('timeout', `No R worker could score the request within ${this.#options.timeoutMs} ms.`));
  }

  #pump(waited = false): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.ready && !s.busy && !s.retired);
      if (!slot) return;
      const budget = (this.#queue[0] as Job).background ? undefined : this.#options.budget;
      const hold = this.#holdMs();
      if (hold > 0 || (!waited && this.#shouldWait())) {
        this.#pumpIn(Math.max(hold, this.#options.maxWaitMs ?? 0));
        return;
      }
      if (budget && !budget.tryAcquire(this.#claimant)) return;
      const jobs = this.#takeJobs();
      void this.#run(slot, jobs, budget);
    }
  }

  /** How long a minor version should hold its rows to merge more (see CallBudget.holdMs). */
  #holdMs(): number {
    const head = this.#queue[0] as Job | undefined;
    const budget = this.#options.budget;
    if (!head || !budget || head.background || head.alone || this.#options.maxBatchRows <= 1) return 0;
    const hold = budget.holdMs(this.#claimant, this.#claimant.waitingRows(), performance.now() - head.enqueuedAt);
    if (hold > 0) budget.unclaim(this.#claimant);
    return hold;
  }

  /** Pumps again in `ms` (waiting to merge), or sooner if already due sooner. */
  #pumpIn(ms: number): void {
    const at = performance.now() + ms;
    if (this.#waitTimer && this.#wakeAt <= at) return;
    clearTimeout(this.#waitTimer);
    this.#wakeAt = at;
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = undefined;
      this.#pump(true);
    }, ms);
  }

  /** Under load (a call in flight) and with room left in a merged call, wait for more rows. */
  #shouldWait(): boolean {
    if (!this.#options.maxWaitMs || this.#options.maxBatchRows <= 1 || this.#inFlight === 0) return false;
    const head = this.#queue[0] as Job;
    if (head.alone) return false;
    let rows = 0;
    for (const job of this.#queue) if (job.batch.type === head.batch.type) rows += job.batch.rows;
    return rows < this.#options.maxBatchRows;
  }

  /** R calls made and rows scored so far (their ratio: the mean merged call size). */
  get callStats(): { calls: number; rows: number } {
    return { calls: this.#calls, rows: this.#rowsScored };
  }

  /** The head job plus following jobs of the same type, up to maxBatchRows rows. */
  #takeJobs(): Job[] {
    const head = this.#queue.shift() as Job;
    const jobs = [head];
    if (head.alone || head.batch.encoded !== undefined || this.#options.maxBatchRows <= 1) return jobs;
    let rows = head.batch.rows;
    for (let i = 0; i < this.#queue.length && rows < this.#options.maxBatchRows; ) {
      const job = this.#queue[i] as Job;
      if (!job.alone && job.batch.encoded === undefined && job.batch.type === head.batch.type && rows + job.batch.rows <= this.#options.maxBatchRows) {
        this.#queue.splice(i, 1);
        jobs.push(job);
        rows += job.batch.rows;
      } else {
        i++;
      }
    }
    return jobs;
  }

  /** This pool as it waits for the shared budget: its queue's rows and age, and what it does with a slot. */
  readonly #claimant: BudgetClaimant = {
    waitingRows: () => {
      let rows = 0;
      for (const job of this.#queue) rows += job.batch.rows;
      return rows;
    },
    oldestWaitMs: () => (this.#queue.length === 0 ? 0 : performance.now() - (this.#queue[0] as Job).enqueuedAt),
    granted: () => {
      const budget = this.#options.budget as CallBudget;
      const slot = this.#slots.find((s) => s.ready && !s.busy && !s.retired);
      const hold = this.#holdMs();
      if (!slot || this.#queue.length === 0 || this.#closed || hold > 0) {
        budget.release();
        if (hold > 0) this.#pumpIn(hold);
      } else {
        void this.#run(slot, this.#takeJobs(), budget);
      }
    },
  };

  async #run(slot: Slot, jobs: Job[], budget: CallBudget | undefined): Promise<void> {
    slot.busy = true;
    this.#inFlight += jobs.length;
    this.#calls++;
    let rows = 0;
    for (const j of jobs) rows += j.batch.rows;
    this.#rowsScored += rows;
    budget?.started(this.#claimant, rows);
    const deadline = Math.min(...jobs.map((j) => j.deadline));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(1, deadline - Date.now()));
    const started = performance.now();
    const report = (outcome: CallReport['outcome'], status: number, error?: string) =>
      observe(() =>
        this.#options.observer?.call?.({
          workerId: slot.worker.id,
          durationMs: performance.now() - started,
          outcome,
          status,
          ...(error === undefined ? {} : { error }),
          jobs: jobs.map((j) => ({ rows: j.batch.rows, waitedMs: started - j.enqueuedAt, traceParent: j.batch.traceParent })),
        }),
      );
    try {
      const reply = await slot.worker.score(encodeCall(jobs.map((j) => j.batch)), controller.signal);
      if (reply.status === 200) report('ok', 200);
      else report('error', reply.status, errorFromR(reply.status, reply.body).rMessage);
      this.#answer(jobs, reply.status, reply.body);
    } catch {
      report(controller.signal.aborted ? 'timeout' : 'crashed', 0);
      if (controller.signal.aborted) {
        for (const job of jobs) job.reject(new AppError('timeout', `R did not finish scoring within ${this.#options.timeoutMs} ms.`));
        this.#recycle(slot);
      } else {
        this.#recycle(slot);
        this.#retry(jobs, new AppError('worker_failed', 'The R worker scoring this request stopped. Try again.', { retryAfter: 1 }));
      }
    } finally {
      clearTimeout(timer);
      slot.busy = false;
      this.#inFlight -= jobs.length;
      // The slot goes to the pool sharing the budget that should go next (this one, maybe).
      budget?.release(this.#claimant);
      this.#pump();
    }
  }

  #answer(jobs: Job[], status: number, body: string): void {
    if (status === 200) {
      const parts = splitPredictions(body, jobs.map((j) => j.batch.rows));
      jobs.forEach((job, i) => job.resolve(parts[i] as PredictionResult));
      return;
    }
    if (jobs.length > 1) {
      // One request of a merged call upset R: score each on its own, so each gets its own answer.
      for (const job of jobs) job.alone = true;
      this.#queue.unshift(...jobs);
      return;
    }
    const job = jobs[0] as Job;
    if (status === 503) {
      this.#retry(jobs, new AppError('worker_failed', 'The R worker was not ready. Try again.', { retryAfter: 1 }));
      return;
    }
    job.reject(errorFromR(status, body));
  }

  #retry(jobs: Job[], error: AppError): void {
    const again: Job[] = [];
    for (const job of jobs) {
      job.attempts++;
      if (job.attempts < MAX_ATTEMPTS && !job.settled && Date.now() < job.deadline) again.push(job);
      else job.reject(error);
    }
    this.#queue.unshift(...again);
  }

  #recycle(slot: Slot): void {
    slot.ready = false;
    slot.worker.kill('SIGKILL');
  }
}

/**
 * An R handler's error reply as an AppError. R's detail is kept for input errors; for a
 * failed prediction, R's own message travels as `rMessage` (logged, shown only if allowed).
 */
export function errorFromR(status: number, body: string): AppError {
  let problem: { code?: string; detail?: string; errors?: AppError['errors']; rMessage?: unknown } = {};
  try {
    problem = JSON.parse(body) as typeof problem;
  } catch {
    /* not JSON: keep the generic answer below */
  }
  if (status === 422 || status === 400) {
    return new AppError(problem.code === 'unsupported_type' ? 'unsupported_type' : 'invalid_input', problem.detail ?? 'R rejected the input.', {
      errors: problem.errors ?? [],
    });
  }
  const rMessage = typeof problem.rMessage === 'string' ? problem.rMessage : undefined;
  return new AppError('prediction_failed', 'The model could not score these rows.', rMessage === undefined ? {} : { rMessage });
}
