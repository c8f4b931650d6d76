import { describe, expect, it } from 'vitest';
import { CallBudget, type BudgetClaimant } from '../../functions/workers/callBudget.js';

/** A pool as the budget sees it: rows waiting, its oldest's wait, and the grants it got. */
function claimant(rows: number, waitedMs = 0): BudgetClaimant & { rows: number; waitedMs: number; grants: number } {
  const c = {
    rows,
    waitedMs,
    grants: 0,
    waitingRows: () => c.rows,
    oldestWaitMs: () => c.waitedMs,
    granted: () => {
      c.grants++;
    },
  };
  return c;
}

describe('CallBudget', () => {
  it('hands a freed slot to the waiting pool with the most rows, the releasing pool included', () => {
    const budget = new CallBudget(1);
    const major = claimant(20);
    const minor = claimant(3);
    expect(budget.tryAcquire(major)).toBe(true);
    expect(budget.tryAcquire(minor)).toBe(false);
    budget.started(major, 20);
    // The major pool's own queue holds more rows than the minor's: it keeps the slot.
    budget.release(major);
    expect([major.grants, minor.grants]).toEqual([1, 0]);
    expect(budget.inFlight).toBe(1);
    // With nothing left in its queue, the slot goes to the minor pool waiting.
    major.rows = 0;
    budget.release(major);
    expect(minor.grants).toBe(1);
    // Nobody waiting: the slot is free.
    minor.rows = 0;
    budget.release(minor);
    expect(budget.inFlight).toBe(0);
  });

  it('frees the slot when no other pool waits: one version of a model keeps its own merge wait', () => {
    const budget = new CallBudget(1);
    const only = claimant(5);
    expect(budget.tryAcquire(only)).toBe(true);
    budget.started(only, 1);
    budget.release(only);
    expect(only.grants).toBe(0);
    expect(budget.inFlight).toBe(0);
  });

  it('serves a pool whose oldest request waited maxHoldMs first, whatever the rows', () => {
    const budget = new CallBudget(1, { maxHoldMs: 50 });
    const busy = claimant(40, 10);
    const late = claimant(2, 60);
    budget.tryAcquire(busy);
    budget.tryAcquire(late);
    budget.release(busy);
    expect([busy.grants, late.grants]).toEqual([0, 1]);
  });

  it('holds a minor version while the others merge more rows, never beyond maxHoldMs, and never the major version', () => {
    const budget = new CallBudget(2, { maxHoldMs: 50 });
    const major = claimant(0);
    const minor = claimant(0);
    // Nothing known yet: no hold.
    expect(budget.holdMs(minor, 1, 0)).toBe(0);
    for (let i = 0; i < 30; i++) {
      budget.started(major, 20);
      budget.release(major);
    }
    budget.started(minor, 2);
    budget.release(minor);
    // The major version's calls carry 20 rows but none is in flight: nothing to merge behind.
    expect(budget.holdMs(minor, 3, 0)).toBe(0);
    budget.started(major, 20);
    expect(budget.holdMs(minor, 3, 10)).toBe(40);
    expect(budget.holdMs(minor, 20, 10)).toBe(0);
    expect(budget.holdMs(minor, 3, 50)).toBe(0);
    expect(budget.holdMs(major, 1, 0)).toBe(0);
  });

  it('does not hold when the other versions call R with one row (no queue: light load)', () => {
    const budget = new CallBudget(2, { maxHoldMs: 50 });
    const major = claimant(0);
    const minor = claimant(0);
    for (let i = 0; i < 30; i++) {
      budget.started(major, 1);
      budget.release(major);
    }
    budget.started(minor, 1);
    budget.release(minor);
    budget.started(major, 1);
    expect(budget.holdMs(minor, 1, 0)).toBe(0);
  });

  it('holds nothing with maxHoldMs 0', () => {
    const budget = new CallBudget(2, { maxHoldMs: 0 });
    const major = claimant(0);
    const minor = claimant(0);
    for (let i = 0; i < 30; i++) budget.started(major, 20);
    budget.started(minor, 1);
    expect(budget.holdMs(minor, 1, 0)).toBe(0);
  });
});
