import { describe, expect, it } from 'vitest';
import { planProcesses, type CapCandidate } from '../../functions/workers/processCap.js';

const v = (key: string, size: number, lastUsed: number, pending = 0): CapCandidate => ({ key, size, pending, lastUsed });

describe('the R process cap (R_MAX_PROCESSES)', () => {
  it('starts a version in full when it fits, stopping nothing', () => {
    expect(planProcesses([v('a', 2, 1)], 0, 2, 8)).toEqual({ stop: [], size: 2 });
    expect(planProcesses([], 0, 2, 2)).toEqual({ stop: [], size: 2 });
  });

  it('stops idle versions, least recently used first, only as many as it needs', () => {
    const loaded = [v('new', 2, 30), v('old', 2, 10), v('mid', 2, 20)];
    expect(planProcesses(loaded, 0, 2, 6)).toEqual({ stop: ['old'], size: 2 });
    expect(planProcesses(loaded, 0, 4, 6)).toEqual({ stop: ['old', 'mid'], size: 4 });
  });

  it('never stops a version with requests queued or being scored', () => {
    const loaded = [v('busy-old', 2, 1, 3), v('idle', 2, 50)];
    expect(planProcesses(loaded, 0, 2, 4)).toEqual({ stop: ['idle'], size: 2 });
  });

  it('starts with fewer workers (at least one) when busy versions leave less than it wants', () => {
    expect(planProcesses([v('busy', 3, 1, 1)], 0, 2, 4)).toEqual({ stop: [], size: 1 });
  });

  it('counts processes starting or stopping, and refuses when nothing is free and nothing idle', () => {
    expect(planProcesses([v('busy', 2, 1, 1)], 2, 2, 4)).toBeUndefined();
    expect(planProcesses([v('a', 1, 1, 1), v('b', 1, 2, 1)], 0, 1, 2)).toBeUndefined();
    expect(planProcesses([], 2, 1, 2)).toBeUndefined();
  });
});
