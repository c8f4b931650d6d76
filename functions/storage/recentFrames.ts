/**
 * Chunk frames this instance has just stored, kept (up to a byte budget, oldest dropped
 * first) so that a chunk scored on the same instance is not downloaded again. Frames never
 * change once written, so a kept frame is always the stored one. Each is taken once.
 */
export class RecentFrames {
  readonly #frames = new Map<string, Buffer>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  put(key: string, frame: Buffer): void {
    if (frame.length > this.#maxBytes) return;
    this.take(key);
    this.#frames.set(key, frame);
    this.#bytes += frame.length;
    for (const [oldest, f] of this.#frames) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#frames.delete(oldest);
      this.#bytes -= f.length;
    }
  }

  /** The frame kept under `key`, removed from the cache; undefined if none is kept. */
  take(key: string): Buffer | undefined {
    const frame = this.#frames.get(key);
    if (frame) {
      this.#frames.delete(key);
      this.#bytes -= frame.length;
    }
    return frame;
  }
}
