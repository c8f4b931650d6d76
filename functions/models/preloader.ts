/**
 * Models started at start-up (PRELOAD_MODELS), in the background: the worker's initialisation
 * must not wait for R. A model whose preload fails (not published yet, storage unreachable)
 * is tried again every `retryMs` until it loads or the app stops, so a replica whose
 * default model is published after it started still warms it. Readiness waits only for
 * the first try of each: a model that cannot load must not keep every replica out of
 * traffic, or nobody could publish it.
 */
export class Preloader {
  readonly #firstTries = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly load: (name: string) => Promise<void>,
    private readonly o: { retryMs: number; warn: (message: string) => void },
  ) {}

  /** Starts each model's preload; resolves when each has had its first try. */
  start(names: readonly string[]): Promise<void> {
    return Promise.all(names.map((name) => this.#try(name, true))).then(() => undefined);
  }

  /** True while some model's first try is running (readiness answers `starting`). */
  get warming(): boolean {
    return this.#firstTries.size > 0;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  async #try(name: string, first: boolean): Promise<void> {
    if (this.#stopped) return;
    if (first) this.#firstTries.add(name);
    try {
      await this.load(name);
    } catch (err) {
      if (this.#stopped) return;
      this.o.warn(`preloading model ${name} failed, trying again in ${Math.round(this.o.retryMs / 1000)} s: ${(err as Error).message}`);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void this.#try(name, false);
      }, this.o.retryMs);
      timer.unref?.();
      this.#timers.add(timer);
    } finally {
      if (first) this.#firstTries.delete(name);
    }
  }
}
