import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../functions/paths.js';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
}

/** Installs wrk from Debian's packages when it is missing (as root; otherwise says how). */
export async function ensureWrk(log: (msg: string) => void): Promise<void> {
  if ((await execa('which', ['wrk'], { reject: false })).exitCode === 0) return;
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs wrk: apt-get install wrk');
  log('installing wrk (Debian package)');
  await execa('apt-get', ['install', '-y', '-qq', 'wrk'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** "2.85ms", "812.00us", "1.02s" in milliseconds. */
function ms(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
}

/** Reads wrk's report (with --latency). */
export function parseWrk(output: string, connections: number, seconds: number): LoadResult {
  const pick = (re: RegExp) => re.exec(output)?.[1];
  const errors = [...output.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
  return {
    connections,
    seconds,
    requests: Number(pick(/(\d+) requests in/) ?? 0),
    rps: Math.round(Number(pick(/Requests\/sec:\s+([\d.]+)/) ?? 0) * 10) / 10,
    p50_ms: Math.round(ms(pick(/^\s+50%\s+(\S+)/m) ?? '') * 100) / 100,
    p99_ms: Math.round(ms(pick(/^\s+99%\s+(\S+)/m) ?? '') * 100) / 100,
    non2xx: Number(pick(/Non-2xx or 3xx responses:\s+(\d+)/) ?? 0),
    errors,
  };
}

/**
 * Drives `url` with wrk (one thread, `connections` clients, each POSTing the same body).
 * wrk measures latency to the microsecond and reconnects properly when a server closes
 * the connection, which the no-keep-alive baseline needs.
 */
export async function load(options: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** A new connection per request (the baseline's fastest mode) instead of keep-alive. */
  noKeepAlive?: boolean;
}): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'load-'));
  try {
    const bodyFile = join(dir, 'body.json');
    await writeFile(bodyFile, options.body);
    const headers = { ...options.headers, ...(options.noKeepAlive ? { Connection: 'close' } : {}) };
    const { stdout } = await execa(
      'wrk',
      ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '--timeout', '30s', '-s', join(appRoot, 'bench', 'post.lua'), options.url],
      { env: { WRK_BODY_FILE: bodyFile, WRK_HEADERS: Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('|') } },
    );
    return parseWrk(stdout, options.connections, options.seconds);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
