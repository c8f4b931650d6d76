import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { isStatus, statusOf } from '../../functions/storage/storageErrors.js';

describe('storage errors', () => {
  it('tells a storage call that failed with one of the statuses', () => {
    const missing = new RestError('The specified blob does not exist.', { statusCode: 404 });
    expect(isStatus(missing, 404)).toBe(true);
    expect(isStatus(missing, 409, 412)).toBe(false);
    expect(isStatus(new Error('404'), 404)).toBe(false);
    expect(isStatus(undefined, 404)).toBe(false);
  });

  it('finds the status where a reader wrapped the storage error, a few levels deep', () => {
    const changed = new RestError('The condition specified using HTTP conditional header(s) is not met.', { statusCode: 412 });
    expect(statusOf(changed)).toBe(412);
    expect(statusOf(new Error('reading rows', { cause: new Error('download', { cause: changed }) }))).toBe(412);
    expect(statusOf(new Error('no status'))).toBeUndefined();
    let deep: unknown = changed;
    for (let i = 0; i < 5; i++) deep = new Error(`wrap ${i}`, { cause: deep });
    expect(statusOf(deep)).toBeUndefined();
  });
});
