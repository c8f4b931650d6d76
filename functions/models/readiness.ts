import type { PoolStats } from '../workers/workerPool.js';

/**
 * What an instance's readiness is, from its versions' pools:
 * - `starting`: a preloaded model's first try, or a version's download, is under way;
 * - `ready` / `degraded`: some version has a ready R worker (degraded while others restart);
 * - `unavailable`: versions are loaded and none has a ready worker (all starting or restarting);
 * - `idle`: nothing is loaded or loading; R starts on the first request.
 * Only `starting` and `unavailable` keep the instance out of traffic.
 */
export type Readiness = 'starting' | 'ready' | 'degraded' | 'unavailable' | 'idle';

export function readinessOf(pools: readonly PoolStats[], state: { warming: boolean; loading: number }): Readiness {
  if (pools.some((p) => p.ready > 0)) return pools.some((p) => p.state !== 'ready') || state.warming ? 'degraded' : 'ready';
  if (state.warming || (pools.length === 0 && state.loading > 0)) return 'starting';
  return pools.length > 0 ? 'unavailable' : 'idle';
}

/** Whether the platform should route requests to the instance. */
export const servesTraffic = (r: Readiness): boolean => r !== 'starting' && r !== 'unavailable';
