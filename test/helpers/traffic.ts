import { waitFor } from './waitFor.js';

/** Concurrent clients sending the same request in a loop until stopped, recording each answer. */
export interface TrafficResult {
  statuses: number[];
  versions: string[];
  predictions: unknown[];
  errors: string[];
}

export function startTraffic(send: () => Promise<Response>, clients: number): { stop(): Promise<TrafficResult>; sent(): number; seen(): TrafficResult } {
  const result: TrafficResult = { statuses: [], versions: [], predictions: [], errors: [] };
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const res = await send();
        const body = (await res.json()) as { model?: { version: string }; predictions?: unknown[]; code?: string };
        result.statuses.push(res.status);
        if (res.status === 200) {
          result.versions.push(body.model?.version ?? '?');
          result.predictions.push(body.predictions?.[0]);
        } else {
          result.errors.push(`${res.status} ${body.code}`);
        }
      } catch (err) {
        result.statuses.push(0);
        result.errors.push((err as Error).message);
      }
    }
  });
  return {
    sent: () => result.statuses.length,
    seen: () => result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** waitFor (./waitFor.ts) with its arguments in a row, as the older tests call it. */
export function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  return waitFor(condition, { timeoutMs, what });
}
