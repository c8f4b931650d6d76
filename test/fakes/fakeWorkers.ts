import type { RHandlerReply } from '../../functions/workers/rHandlerClient.js';
import { ModelLoadError, type Worker } from '../../functions/workers/worker.js';

/** A worker that "scores" by doubling column x, after a delay, unless told to misbehave. */
export interface FakeBehaviour {
  delayMs?: number;
  /** Called per call; return 'crash' to die mid-call, 'hang' to never answer, a reply to answer. */
  onCall?: (body: { type: string; columns: { x: number[] } }, worker: FakeWorker) => 'crash' | 'hang' | RHandlerReply | undefined;
  loadFails?: boolean;
  /** Milliseconds before ready() resolves. */
  startMs?: number;
  /** ready() resolves only once this has (after startMs): a worker that starts when the test says. */
  startGate?: Promise<void>;
}

export interface FakeWorker extends Worker {
  calls: number[];
  killed: boolean;
}

export function fakeFactory(behaviour: FakeBehaviour = {}) {
  const workers: FakeWorker[] = [];
  const factory = (id: number): FakeWorker => {
    let exit: (() => void) | undefined;
    let dead = false;
    const die = () => {
      if (dead) return;
      dead = true;
      w.killed = true;
      setImmediate(() => exit?.());
    };
    const w: FakeWorker = {
      id,
      pid: 1000 + id,
      calls: [],
      killed: false,
      ready: () =>
        behaviour.loadFails
          ? Promise.reject(new ModelLoadError('the model failed to load: bad rds'))
          : new Promise<void>((resolve) => setTimeout(resolve, behaviour.startMs ?? 0)).then(() => behaviour.startGate),
      score: (text, signal) =>
        new Promise<RHandlerReply>((resolve, reject) => {
          const body = JSON.parse(text) as { type: string; columns: { x: number[] } };
          w.calls.push(body.columns.x.length);
          signal.addEventListener('abort', () => reject(new Error('aborted')));
          const action = behaviour.onCall?.(body, w);
          if (action === 'crash') {
            die();
            setImmediate(() => reject(new Error('socket hang up')));
            return;
          }
          if (action === 'hang') return;
          const reply = action ?? {
            status: 200,
            contentType: 'application/json',
            body: JSON.stringify({ type: body.type, rows: body.columns.x.length, predictions: body.columns.x.map((v) => v * 2) }),
          };
          setTimeout(() => resolve(reply), behaviour.delayMs ?? 1);
        }),
      onExit: (cb) => {
        exit = cb;
      },
      kill: () => die(),
    };
    workers.push(w);
    return w;
  };
  return { factory, workers };
}
