import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { mkdtemp } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appRoot } from '../functions/paths.js';

/** Azurite's well-known development account key. */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  blobPort: number;
  queuePort: number;
  location: string;
  /** The Azurite process, while it runs. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`); the data stays in `location`. */
  stop(graceMs?: number): Promise<void>;
  /** Starts it again on the same ports and data. */
  restart(): Promise<void>;
}

/** Whether something listens on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export interface AzuriteOptions {
  location?: string;
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /**
   * Run Azurite in a process group of its own: a Ctrl-C in the terminal then reaches only
   * the caller, which stops Azurite when it chooses (npm start: after the host). The caller
   * must stop it: a detached process is not killed when the caller exits.
   */
  detached?: boolean;
}

/** Azurite (Blob and Queue) from node_modules, on free loopback ports, data on disk. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const location = options.location ?? (await mkdtemp(join(tmpdir(), 'azurite-')));
  const blobPort = options.blobPort ?? (await getPort({ host: '127.0.0.1' }));
  const queuePort = options.queuePort ?? (await getPort({ host: '127.0.0.1' }));
  let child: ResultPromise | undefined;

  async function start(): Promise<void> {
    child = execa(
      join(appRoot, 'node_modules', '.bin', 'azurite'),
      ['--silent', '--skipApiVersionCheck', '--location', location, '--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1',
        '--blobPort', String(blobPort), '--queuePort', String(queuePort), '--tablePort', String(options.tablePort ?? (await getPort({ host: '127.0.0.1' })))],
      { reject: false, stdio: 'ignore', cleanup: true, detached: options.detached ?? false, forceKillAfterDelay: false },
    );
    let exited = false;
    void child.then(() => {
      exited = true;
    });
    const deadline = Date.now() + 30_000;
    while (!((await portOpen(blobPort)) && (await portOpen(queuePort)))) {
      if (exited) throw new Error(`Azurite exited before listening on ports ${blobPort} and ${queuePort}`);
      if (Date.now() > deadline) throw new Error('Azurite did not start within 30 s');
      await sleep(50);
    }
  }

  async function stop(graceMs = 5000): Promise<void> {
    const c = child;
    child = undefined;
    if (!c) return;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await c;
    clearTimeout(timer);
  }

  await start();
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
      `BlobEndpoint=http://127.0.0.1:${blobPort}/${ACCOUNT};QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT};`,
    blobPort,
    queuePort,
    location,
    get pid() {
      return child?.pid;
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}
