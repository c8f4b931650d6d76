/**
 * Recent batches (GET /api/batches), read again every 2 s while any is still running, each
 * with its progress, errors, a cancel button and, once it succeeded, its results link.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { BatchItem, isFinished } from './BatchItem';
import { ConfirmDialog } from './ConfirmDialog';
import { useConsole } from './context';
import { ProblemView } from './ProblemView';
import type { BatchStatus } from './types';

/** How often the list is read while a batch runs. */
export const POLL_MS = 2000;

export function Batches() {
  const { api } = useConsole();
  const [batches, setBatches] = useState<BatchStatus[]>();
  const [error, setError] = useState<unknown>();
  const [readAt, setReadAt] = useState<Date>();
  const [reads, setReads] = useState(0);
  const [toCancel, setToCancel] = useState<BatchStatus>();
  const [cancelling, setCancelling] = useState<string>();
  const [cancelError, setCancelError] = useState<unknown>();
  const running = batches?.some((b) => !isFinished(b)) ?? false;
  // Whether the last list read had a batch running, for a read that fails.
  const wasRunning = useRef(false);
  wasRunning.current = running;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function read() {
      try {
        const list = await api.listBatches();
        if (stopped) return;
        setBatches(list);
        setError(undefined);
        setReadAt(new Date());
        if (list.some((b) => !isFinished(b))) timer = setTimeout(() => void read(), POLL_MS);
      } catch (err) {
        if (stopped) return;
        setError(err);
        // A passing failure while batches run: try again at the same pace.
        if (wasRunning.current) timer = setTimeout(() => void read(), POLL_MS);
      }
    }
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, reads]);

  async function cancel(b: BatchStatus) {
    setToCancel(undefined);
    setCancelling(b.id);
    setCancelError(undefined);
    try {
      await api.cancelBatch(b.id);
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelling(undefined);
      setReads((n) => n + 1);
    }
  }

  return (
    <section aria-labelledby="batches-heading">
      <div class="heading-row">
        <h2 id="batches-heading">Batches</h2>
        <button type="button" class="secondary" onClick={() => setReads((n) => n + 1)}>
          Refresh
        </button>
      </div>
      <p class="hint">
        {readAt ? `Read at ${readAt.toLocaleTimeString()}.` : 'Reading…'} {running ? 'A batch is running: the list is read every 2 s.' : ''}
      </p>
      {error !== undefined && <ProblemView error={error} title="The batches could not be read" />}
      {cancelError !== undefined && <ProblemView error={cancelError} title="The batch was not cancelled" />}
      {batches && batches.length === 0 && <p>No batch has been submitted yet.</p>}
      {batches && batches.length > 0 && (
        <ul class="batches" aria-label="Recent batches, newest first">
          {batches.map((b) => (
            <BatchItem key={b.id} batch={b} cancelling={cancelling === b.id} onCancel={setToCancel} />
          ))}
        </ul>
      )}
      <ConfirmDialog open={toCancel !== undefined} title="Cancel the batch?" confirmLabel="Cancel the batch" cancelLabel="Keep it running" onConfirm={() => toCancel && void cancel(toCancel)} onCancel={() => setToCancel(undefined)}>
        <p>Chunks not started yet are skipped; chunks already scored keep their results.</p>
      </ConfirmDialog>
    </section>
  );
}
