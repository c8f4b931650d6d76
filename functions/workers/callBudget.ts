/** A pool sharing a budget: what it has waiting, and what it does with a slot it is given. */
export interface BudgetClaimant {
  /** Rows its next call would carry (what waits in its queue). */
  waitingRows(): number;
  /** How long its oldest waiting request has waited, in ms. */
  oldestWaitMs(): number;
  /** The slot is now this claimant's: it must make a call with it or release it. */
  granted(): void;
}

interface Usage {
  /** Decayed rows and calls: recent traffic, older calls counting less. */
  rows: number;
  calls: number;
  /** Calls in flight. */
  inFlight: number;
}

/** Each call's weight in the running figures: about the last 64 calls count. */
const DECAY = 1 - 1 / 64;

/**
 * R calls in flight at once across the pools that share it: the versions of one model. A
 * model split 90/10 between two versions then uses the cores as one version does (two
 * pools never run twice the calls).
 *
 * An R call costs about the same whatever its rows (1.5 ms for 1 row of the sample random
 * forest, 2 ms for 100), so under load each version's calls should carry as many rows as
 * the model's would: a minor version (the 10% of a split) holds its requests while the
 * others' calls merge more, until they make a call as large (`holdMs`), at most
 * `maxHoldMs`. A freed slot goes straight to the pool that should go next: one whose
 * oldest request has waited `maxHoldMs`, else the one with the most rows waiting (the pool
 * releasing it included).
 */
export class CallBudget {
  readonly size: number;
  readonly maxHoldMs: number;
  #free: number;
  readonly #waiting = new Set<BudgetClaimant>();
  readonly #usage = new Map<BudgetClaimant, Usage>();

  constructor(size: number, options: { maxHoldMs?: number } = {}) {
    this.size = size;
    this.maxHoldMs = options.maxHoldMs ?? 50;
    this.#free = size;
  }

  /** Takes a slot, or returns false and grants `claimant` one later. */
  tryAcquire(claimant: BudgetClaimant): boolean {
    if (this.#free > 0) {
      this.#waiting.delete(claimant);
      this.#free--;
      return true;
    }
    this.#waiting.add(claimant);
    return false;
  }

  /** Counts a call as it starts (its rows: the pools' shares of the traffic). */
  started(claimant: BudgetClaimant, rows: number): void {
    for (const u of this.#usage.values()) {
      u.rows *= DECAY;
      u.calls *= DECAY;
    }
    const u = this.#usage.get(claimant) ?? this.#usage.set(claimant, { rows: 0, calls: 0, inFlight: 0 }).get(claimant)!;
    u.rows += rows;
    u.calls += 1;
    u.inFlight++;
  }

  /**
   * Gives a slot back after a call of `from` (without `from`: a grant passed on unused).
   * While other pools wait, it passes at once to the one that should go next, the pool
   * releasing it competing too (its worker just came free, and its queue may hold the most
   * rows).
   */
  release(from?: BudgetClaimant): void {
    const u = from && this.#usage.get(from);
    if (u) u.inFlight--;
    if (this.#waiting.size === 0 || (this.#waiting.size === 1 && from !== undefined && this.#waiting.has(from))) {
      // Nobody else waits: the pool's own pump decides (one version of a model works as alone).
      this.#free++;
      return;
    }
    if (from && from.waitingRows() > 0) this.#waiting.add(from);
    const next = this.#next();
    if (!next) {
      this.#free++;
      return;
    }
    this.#waiting.delete(next);
    next.granted();
  }

  /** Stops waiting for a slot (the pool holds its rows a while). */
  unclaim(claimant: BudgetClaimant): void {
    this.#waiting.delete(claimant);
  }

  /** Stops waiting and leaves the figures (the pool is closing). */
  withdraw(claimant: BudgetClaimant): void {
    this.#waiting.delete(claimant);
    this.#usage.delete(claimant);
  }

  /**
   * How much longer `claimant` should hold `rows` whose oldest has waited `waitedMs`: 0
   * unless another pool has a call in flight, this pool carries under half the recent rows,
   * and its rows are fewer than the others' calls carry (about 1 row when nothing queues,
   * so a version under light load never holds).
   */
  holdMs(claimant: BudgetClaimant, rows: number, waitedMs: number): number {
    if (waitedMs >= this.maxHoldMs) return 0;
    const own = this.#usage.get(claimant);
    let rowsOthers = 0;
    let callsOthers = 0;
    let othersInFlight = 0;
    for (const [c, u] of this.#usage) {
      if (c === claimant) continue;
      rowsOthers += u.rows;
      callsOthers += u.calls;
      othersInFlight += u.inFlight;
    }
    if (othersInFlight === 0 || callsOthers === 0 || (own?.rows ?? 0) >= rowsOthers) return 0;
    return rows < Math.floor(rowsOthers / callsOthers) ? this.maxHoldMs - waitedMs : 0;
  }

  get inFlight(): number {
    return this.size - this.#free;
  }

  #next(): BudgetClaimant | undefined {
    let best: BudgetClaimant | undefined;
    let overdue = false;
    let bestKey = -1;
    for (const c of this.#waiting) {
      const waited = c.oldestWaitMs();
      const isOverdue = waited >= this.maxHoldMs;
      const key = isOverdue ? waited : c.waitingRows();
      if ((isOverdue && !overdue) || (isOverdue === overdue && key > bestKey)) {
        best = c;
        overdue = isOverdue;
        bestKey = key;
      }
    }
    return best;
  }
}
