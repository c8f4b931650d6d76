import getPort from 'get-port';
import { callRHandler } from './rHandlerClient.js';
import { startRProcess } from './rProcess.js';
import { ModelLoadError, type Worker, type WorkerFactory } from './worker.js';

export interface WorkerOptions {
  rscript: string;
  handlerDir: string;
  modelDir: string;
  readyTimeoutMs: number;
}

/** Workers that are R handler processes (main.R, plumber) on free loopback ports, started with execa. */
export function httpWorkerFactory(options: WorkerOptions): WorkerFactory {
  return (id: number): Worker => {
    let process: ReturnType<typeof startRProcess> | undefined;
    let exitCallback: (() => void) | undefined;
    const started = getPort({ host: '127.0.0.1' }).then((port) => {
      process = startRProcess({ ...options, port });
      void process.child.then(() => exitCallback?.());
      return process;
    });
    return {
      id,
      get pid() {
        return process?.pid;
      },
      async ready() {
        const p = await started;
        try {
          await p.ready();
        } catch (err) {
          const message = (err as Error).message;
          if (message.startsWith('the model failed to load')) throw new ModelLoadError(message);
          throw err;
        }
      },
      async score(body, signal) {
        const p = await started;
        return callRHandler(p.port, 'POST', '/score', body, signal);
      },
      onExit(callback) {
        exitCallback = callback;
      },
      kill(signal = 'SIGTERM') {
        void started.then((p) => p.kill(signal));
      },
    };
  };
}
