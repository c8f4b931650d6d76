import { RestError } from '@azure/storage-blob';

/** Whether a storage call failed with one of these HTTP statuses (404, 409, 412, ...). */
export const isStatus = (err: unknown, ...codes: number[]): boolean => err instanceof RestError && codes.includes(err.statusCode ?? 0);

/** The HTTP status of a storage error, also where a reader wrapped it (its `cause`, a few levels deep). */
export function statusOf(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const status = (e as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number') return status;
  }
  return undefined;
}
