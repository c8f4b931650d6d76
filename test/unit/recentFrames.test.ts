import { describe, expect, it } from 'vitest';
import { RecentFrames } from '../../functions/storage/recentFrames.js';

describe('RecentFrames', () => {
  const frame = (bytes: number, fill = 1) => Buffer.alloc(bytes, fill);

  it('gives a kept frame once', () => {
    const frames = new RecentFrames(100);
    const f = frame(10);
    frames.put('a', f);
    expect(frames.take('a')).toBe(f);
    expect(frames.take('a')).toBeUndefined();
    expect(frames.bytes).toBe(0);
  });

  it('drops the oldest frames past its byte budget, and never keeps one larger than it', () => {
    const frames = new RecentFrames(25);
    frames.put('a', frame(10));
    frames.put('b', frame(10));
    frames.put('c', frame(10));
    expect(frames.take('a')).toBeUndefined();
    expect(frames.take('b')?.length).toBe(10);
    expect(frames.take('c')?.length).toBe(10);
    frames.put('huge', frame(26));
    expect(frames.take('huge')).toBeUndefined();
    expect(frames.bytes).toBe(0);
  });

  it('replaces a frame kept under the same key without counting it twice', () => {
    const frames = new RecentFrames(25);
    frames.put('a', frame(10, 1));
    frames.put('a', frame(10, 2));
    expect(frames.bytes).toBe(10);
    expect(frames.take('a')?.[0]).toBe(2);
  });
});
