/**
 * The cap on R processes per instance (R_MAX_PROCESSES), pure: which idle versions to stop,
 * least recently used first, so that a version about to start fits, and with how many
 * workers it starts. Every loaded version's pool counts its full size (a worker restarting
 * replaces the one that died), as do versions starting or stopping.
 */
export interface CapCandidate {
  key: string;
  /** R processes the version's pool runs. */
  size: number;
  /** Requests queued or being scored: a version with any is never stopped. */
  pending: number;
  lastUsed: number;
}

export interface CapPlan {
  /** Versions to stop first, least recently used first. */
  stop: string[];
  /** Workers the new version starts with: `wanted`, or fewer (at least 1) when the cap is tight. */
  size: number;
}

/**
 * How a version wanting `wanted` workers fits under `cap` beside `loaded` (plus `reserved`
 * processes starting or stopping): stop idle versions, least recently used first, until it
 * fits in full or none is left to stop; then start it with what is free, at least 1. No
 * room at all (every process busy): undefined, and the caller answers 503 with Retry-After.
 */
export function planProcesses(loaded: readonly CapCandidate[], reserved: number, wanted: number, cap: number): CapPlan | undefined {
  let used = reserved;
  for (const l of loaded) used += l.size;
  const stop: string[] = [];
  const idle = loaded.filter((l) => l.pending === 0).sort((a, b) => a.lastUsed - b.lastUsed);
  for (const l of idle) {
    if (cap - used >= wanted) break;
    stop.push(l.key);
    used -= l.size;
  }
  const free = cap - used;
  if (free < 1) return undefined;
  return { stop, size: Math.min(wanted, free) };
}
