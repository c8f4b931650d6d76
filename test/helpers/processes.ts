import { execa } from 'execa';
import { readFile, readdir, readlink } from 'node:fs/promises';

/** TCP sockets a process listens on, as "address:port" (from /proc: no tool needed). */
export async function listening(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1] as string);
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = (await readFile(`/proc/${pid}/net/${table}`, 'utf8')).trim().split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A' || !inodes.has(cols[9] as string)) continue;
      const [hexAddr, hexPort] = (cols[1] as string).split(':') as [string, string];
      const addr = hexAddr.length === 8 ? (hexAddr.match(/../g) as string[]).reverse().map((h) => Number.parseInt(h, 16)).join('.') : hexAddr;
      out.push(`${addr}:${Number.parseInt(hexPort, 16)}`);
    }
  }
  return out;
}

/**
 * The running R handler processes (plumber or pool workers) whose command line matches.
 * Other test runs on the same machine have R workers too: a test that kills workers, or
 * checks all of them, narrows the pattern to its own app's with workerPattern().
 */
export async function rWorkerPids(pattern = '(main|worker).R.*--model'): Promise<number[]> {
  const { stdout } = await execa('pgrep', ['-f', pattern], { reject: false });
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** A string matched as itself in a pgrep (extended) regular expression. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A pattern for rWorkerPids matching the R workers of one app only: theirs are started with
 * `--model <MODEL_CACHE_DIR>/<name>/<version>-<tag>`. `script` is worker.R (pipes), main.R
 * (plumber) or either.
 */
export function workerPattern(modelCacheDir: string, options: { name?: string; version?: string; script?: 'worker' | 'main' } = {}): string {
  const script = options.script ? `${options.script}[.]R` : '(main|worker)[.]R';
  const version = options.version === undefined ? '' : `/${escapeRegExp(options.version)}-`;
  const name = options.name === undefined ? '/' : `/${escapeRegExp(options.name)}${version || '/'}`;
  return `${script} .*--model ${escapeRegExp(modelCacheDir)}${name}`;
}
