import { describe, expect, it } from 'vitest';
import { readinessOf, servesTraffic } from '../../functions/models/readiness.js';
import type { PoolStats } from '../../functions/workers/workerPool.js';

const pool = (state: PoolStats['state'], ready: number): PoolStats => ({ calls: 0, size: 2, ready, busy: 0, queued: 0, restarts: 0, state });
const idle = { warming: false, loading: 0 };

describe('readiness (GET /api/health/ready, the platform probe)', () => {
  it('takes requests with nothing loaded: R starts on the first one', () => {
    expect(readinessOf([], idle)).toBe('idle');
    expect(servesTraffic('idle')).toBe(true);
  });

  it('keeps the instance out while a preload is on its first try, or the first version downloads', () => {
    expect(readinessOf([], { warming: true, loading: 0 })).toBe('starting');
    expect(readinessOf([], { warming: false, loading: 1 })).toBe('starting');
    expect(readinessOf([pool('starting', 0)], { warming: true, loading: 1 })).toBe('starting');
    expect(servesTraffic('starting')).toBe(false);
  });

  it('keeps it out while versions are loaded and none has a ready worker', () => {
    expect(readinessOf([pool('starting', 0)], idle)).toBe('unavailable');
    expect(readinessOf([pool('failed', 0), pool('degraded', 0)], idle)).toBe('unavailable');
    expect(servesTraffic('unavailable')).toBe(false);
  });

  it('is ready with a ready worker, degraded while another version restarts or preloads', () => {
    expect(readinessOf([pool('ready', 2)], idle)).toBe('ready');
    expect(readinessOf([pool('ready', 2)], { warming: false, loading: 1 })).toBe('ready');
    expect(readinessOf([pool('ready', 2), pool('degraded', 0)], idle)).toBe('degraded');
    expect(readinessOf([pool('ready', 2)], { warming: true, loading: 0 })).toBe('degraded');
    expect(servesTraffic('ready') && servesTraffic('degraded')).toBe(true);
  });
});
