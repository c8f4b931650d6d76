import { readFile } from 'node:fs/promises';
import { execa } from 'execa';

/** A process's resident and peak resident memory in MiB, from /proc (0 if it is gone). */
export async function memory(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: 0, peakMb: 0 };
  }
}

export async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await execa('pgrep', ['-P', String(pid)], { reject: false });
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
