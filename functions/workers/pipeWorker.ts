import { execa } from 'execa';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { WorkerOptions } from './httpWorker.js';
import type { RHandlerReply } from './rHandlerClient.js';
import { ModelLoadError, type Worker, type WorkerFactory } from './worker.js';

const MARK = '\x1e';

/**
 * Workers that are R processes (r-handler/worker.R) spoken to over their standard streams:
 * one request line in (or a line "frame <bytes>" and that many bytes of column frame), one
 * answer line out. No port is opened, and a call costs no TCP or HTTP work on either side
 * (about 2 ms less per call than plumber over a new connection).
 */
export function pipeWorkerFactory(options: WorkerOptions): WorkerFactory {
  return (id: number): Worker => {
    const child = execa(options.rscript, ['--vanilla', join(options.handlerDir, 'worker.R'), '--model', options.modelDir], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      env: { LANG: 'C.UTF-8' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    let exited = false;
    let exitCallback: (() => void) | undefined;
    let pending: { resolve(reply: RHandlerReply): void; reject(err: Error): void } | undefined;
    let readyState: { resolve(): void; reject(err: Error): void } | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      readyState = { resolve, reject };
    });
    ready.catch(() => undefined);
    const timer = setTimeout(() => readyState?.reject(new Error(`the R worker was not ready within ${options.readyTimeoutMs} ms`)), options.readyTimeoutMs);
    timer.unref?.();

    createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity }).on('line', (line) => {
      const at = line.lastIndexOf(MARK);
      if (at < 0) return;
      const message = line.slice(at + 1);
      if (readyState) {
        const r = readyState;
        readyState = undefined;
        clearTimeout(timer);
        if (message === 'READY') r.resolve();
        else r.reject(new ModelLoadError(`the model failed to load: ${message.replace(/^FAILED /, '')}`));
        return;
      }
      const space = message.indexOf(' ');
      const p = pending;
      pending = undefined;
      p?.resolve({ status: Number(message.slice(0, space)), contentType: 'application/json', body: message.slice(space + 1) });
    });
    child.stdin?.on('error', () => undefined);
    void child.then(() => {
      exited = true;
      clearTimeout(timer);
      const why = new Error(`the R worker exited${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`);
      readyState?.reject(why);
      pending?.reject(why);
      pending = undefined;
      exitCallback?.();
    });

    return {
      id,
      pid: child.pid,
      ready: () => ready,
      score(body, signal) {
        if (exited) return Promise.reject(new Error('the R worker has exited'));
        if (pending) return Promise.reject(new Error('the R worker is busy'));
        return new Promise<RHandlerReply>((resolve, reject) => {
          pending = { resolve, reject };
          signal.addEventListener('abort', () => {
            if (pending?.resolve === resolve) pending = undefined;
            reject(new Error('aborted'));
          }, { once: true });
          if (typeof body === 'string') child.stdin?.write(`${body}\n`);
          else {
            child.stdin?.write(`frame ${body.length}\n`);
            child.stdin?.write(body);
          }
        });
      },
      onExit(callback) {
        exitCallback = callback;
        if (exited) callback();
      },
      kill(signal = 'SIGTERM') {
        child.kill(signal);
      },
    };
  };
}
