import type { RHandlerReply } from './rHandlerClient.js';

/** One R process as the pool sees it. */
export interface Worker {
  readonly id: number;
  /** Resolves once the worker can score; rejects if it exits first or its model fails to load. */
  ready(): Promise<void>;
  /**
   * Sends one scoring body (JSON text, or a column frame); rejects if the connection fails
   * or `signal` aborts.
   */
  score(body: string | Buffer, signal: AbortSignal): Promise<RHandlerReply>;
  /** Registers the one callback run when the process has exited, for whatever reason. */
  onExit(callback: () => void): void;
  kill(signal?: NodeJS.Signals): void;
  /** The process id, for tests that kill workers from outside. */
  readonly pid: number | undefined;
}

export type WorkerFactory = (id: number) => Worker;

/** Thrown by ready() when the model itself cannot load: restarting will not help. */
export class ModelLoadError extends Error {
  readonly code = 'model_load_failed';
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}
