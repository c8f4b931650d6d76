import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callRHandler } from './rHandlerClient.js';

export interface RProcessOptions {
  rscript: string;
  handlerDir: string;
  modelDir: string;
  port: number;
  /** How long to wait for /ready before giving up. */
  readyTimeoutMs: number;
}

/** One R handler process serving one model directory on 127.0.0.1:port. */
export interface RProcess {
  readonly port: number;
  readonly pid: number | undefined;
  readonly child: ResultPromise;
  /** Resolves once /ready answers 200; rejects if the process exits or the model fails. */
  ready(): Promise<void>;
  exited(): boolean;
  kill(signal?: NodeJS.Signals): void;
}

export function startRProcess(options: RProcessOptions): RProcess {
  const child = execa(
    options.rscript,
    ['--vanilla', join(options.handlerDir, 'main.R'), '--model', options.modelDir, '--port', String(options.port), '--host', '127.0.0.1', '--report-errors'],
    { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, cleanup: true },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let done = false;
  void child.then(() => {
    done = true;
  });

  async function ready(): Promise<void> {
    const deadline = Date.now() + options.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (done) throw new Error(`the R handler exited before it was ready: ${stderr.trim()}`);
      try {
        const res = await callRHandler(options.port, 'GET', '/ready');
        if (res.status === 200) return;
        const state = (JSON.parse(res.body) as { status?: string; detail?: string });
        if (state.status === 'failed') throw new Error(`the model failed to load: ${state.detail ?? 'unknown reason'}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('the model failed')) throw err;
      }
      await sleep(25);
    }
    throw new Error(`the R handler was not ready within ${options.readyTimeoutMs} ms`);
  }

  return {
    port: options.port,
    pid: child.pid,
    child,
    ready,
    exited: () => done,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}
