/**
 * R calls in flight at once across the pools that share it: the versions of one model. A
 * model split 90/10 between two versions then uses the cores as one version does (two
 * pools no longer run twice the calls, each merging fewer rows). Pools waiting for a slot
 * are woken in the order they asked.
 */
export class CallBudget {
  readonly size: number;
  #free: number;
  readonly #waiting = new Set<() => void>();

  constructor(size: number) {
    this.size = size;
    this.#free = size;
  }

  /** Takes a slot, or returns false and calls `wake` once one is released. */
  tryAcquire(wake: () => void): boolean {
    if (this.#free > 0) {
      this.#free--;
      return true;
    }
    this.#waiting.add(wake);
    return false;
  }

  release(): void {
    this.#free++;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const wake of waiting) wake();
  }

  get inFlight(): number {
    return this.size - this.#free;
  }
}
