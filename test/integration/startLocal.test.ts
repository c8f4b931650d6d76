import { execa, type ResultPromise } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { portOpen } from '../../scripts/azurite.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * `npm start` as a user runs it, on its fixed ports and with its data in .azurite/. This
 * machine has no Azure Functions Core Tools (node_modules/.bin/func), so it serves the app
 * with the local test host (dist/test/host/cli.js); the `func start --enableAuth` path is not
 * exercised here.
 */
const HOST = 'http://127.0.0.1:7071';
const PORTS = [7071, 10000, 10001, 10002];
const R_HANDLER = join(appRoot, 'r-handler');

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

async function processes(): Promise<Proc[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,ppid=,pgid=,args=']);
  return stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[4] as string }] : [];
  });
}

/** Every process below `root`. */
function descendants(all: Proc[], root: number): Proc[] {
  const found: Proc[] = [];
  let parents = new Set([root]);
  while (parents.size > 0) {
    const children = all.filter((p) => parents.has(p.ppid));
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return found;
}

/** R processes running this repository's R handler (Rscript execs R with --file=<script>). */
const isRWorker = (p: Proc): boolean => /(^|\/)(R|Rscript) /.test(p.args) && p.args.includes(`${R_HANDLER}/`);

/** Whether the process is still the one seen before (not a reused pid, not a zombie). */
async function alive(p: Proc): Promise<boolean> {
  const cmdline = await readFile(`/proc/${p.pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline !== '' && cmdline.replaceAll('\0', ' ').trim() === p.args.trim();
}

const until = (what: string, ms: number, check: () => Promise<boolean>): Promise<void> => waitFor(check, { what, timeoutMs: ms, intervalMs: 200 });

/** npm start's build, Azurite, the samples and an R worker: a minute or so on a busy machine, far less on an idle one. */
const READY_WITHIN_MS = 150_000;
/**
 * Everything gone after SIGTERM: scripts/startLocal.ts kills what is left after its own
 * hard deadline (8 s); the rest is margin for a busy machine.
 */
const STOPPED_WITHIN_MS = 30_000;

let npm: ResultPromise | undefined;
let npmExited: Promise<void> = Promise.resolve();
/** What npm start started, as last seen while it ran. */
let started: Proc[] = [];

afterAll(async () => {
  // A failed test must not leave anything on the fixed ports for the next file.
  if (started.length === 0 && npm?.pid) started = descendants(await processes(), npm.pid);
  if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill('SIGTERM');
  await Promise.race([npmExited, sleep(10_000)]);
  for (const p of started) {
    if (await alive(p)) process.kill(p.pid, 'SIGKILL');
  }
});

describe('npm start', () => {
  it('serves the app with keys checked, and stops everything it started on SIGTERM to npm', async () => {
    for (const port of PORTS) {
      if (await portOpen(port)) throw new Error(`port ${port} is in use: stop whatever holds it (another \`npm start\`, Azurite or func?) before running this test`);
    }
    const before = new Set((await processes()).filter(isRWorker).map((p) => p.pid));

    let output = '';
    npm = execa('npm', ['start', '--', '--master-key', 'local-master-key'], { cwd: appRoot, reject: false, buffer: false, stdin: 'ignore', env: { R_WORKERS: '1' } });
    npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const child = npm;
    npmExited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const npmPid = npm.pid as number;
    let exited = false;
    void npmExited.then(() => (exited = true));

    // The build, Azurite, the sample models (published into .azurite/ on a first run), then a ready R worker.
    await until('GET /api/health/ready answering 200', READY_WITHIN_MS, async () => {
      if (exited) throw new Error(`npm start exited before the app was ready:\n${output}`);
      const res = await fetch(`${HOST}/api/health/ready`).catch(() => undefined);
      return res?.status === 200;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; npm start said:\n${output}`);
    });
    const key = /function key: ([^)\s]+)/.exec(output)?.[1];
    expect(key, output).toBeDefined();

    const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
    const score = (query: string) =>
      fetch(`${HOST}/api/score${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [row] }) });
    const scored = await score(`?code=${key}`);
    expect(scored.status, await scored.clone().text()).toBe(200);
    expect(await scored.json()).toMatchObject({ model: { name: 'boston-rf', version: '1' }, predictions: [expect.any(Number)] });
    expect((await score('')).status).toBe(401);
    expect((await score('?code=wrong')).status).toBe(401);
    // The master key given to npm start, printed beside the function key, opens admin routes; the function key does not.
    expect(output).toContain('master key: local-master-key');
    const history = (code: string) => fetch(`${HOST}/api/models/boston-rf/aliases/production?code=${code}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '1' }) });
    expect((await history(key as string)).status).toBe(401);
    expect((await history('local-master-key')).status).toBe(200);
    // The pages the README names, printed with their addresses, built by npm start, without a key (they ask for one).
    expect(output).toContain(`API reference: ${HOST}/api/docs`);
    expect(output).toContain(`console: ${HOST}/api/console`);
    for (const page of ['docs', 'console']) {
      const res = await fetch(`${HOST}/api/${page}/`);
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-type'), page).toContain('text/html');
      expect(res.headers.get('content-security-policy'), page).toContain("script-src 'self'");
    }

    started = descendants(await processes(), npmPid);
    expect(started.filter(isRWorker).length, started.map((p) => p.args).join('\n')).toBeGreaterThan(0);
    // The process groups npm start made (the host's, holding its R workers, and Azurite's).
    const groups = new Set(started.map((p) => p.pgid));
    groups.delete((await processes()).find((p) => p.pid === npmPid)?.pgid ?? -1);

    const stoppedAt = Date.now();
    process.kill(npmPid, 'SIGTERM');
    await until('npm exiting', STOPPED_WITHIN_MS, async () => exited);
    await until('ports 7071, 10000, 10001, 10002 free', STOPPED_WITHIN_MS - (Date.now() - stoppedAt), async () => {
      for (const port of PORTS) if (await portOpen(port)) return false;
      return true;
    });
    await until('every process npm start started gone', STOPPED_WITHIN_MS - (Date.now() - stoppedAt), async () => {
      for (const p of started) if (await alive(p)) return false;
      return true;
    });
    // R workers of this run, including any started after the snapshot: in a process group of
    // this run, or orphaned; other R handlers on the machine are not this test's business.
    const left = (await processes()).filter((p) => isRWorker(p) && !before.has(p.pid) && (groups.has(p.pgid) || p.ppid === 1));
    expect(left.map((p) => `${p.pid} ${p.args}`)).toEqual([]);
    expect(Date.now() - stoppedAt).toBeLessThan(STOPPED_WITHIN_MS);
  }, READY_WITHIN_MS + STOPPED_WITHIN_MS + 30_000);
});
