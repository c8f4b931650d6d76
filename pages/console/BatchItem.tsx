/**
 * One batch: its state, chunks and rows as progress bars (none for an upload refused or
 * cancelled before its rows were counted: its refusal instead), its errors, and cancel or
 * results.
 */
import { idPart, ms, when } from './format';
import { ProblemView } from './ProblemView';
import { ApiError } from './api';
import type { BatchStatus } from './types';

export const isFinished = (b: BatchStatus): boolean => b.state === 'succeeded' || b.state === 'failed' || b.state === 'cancelled';

function Progress({ id, label, done, failed, total }: { id: string; label: string; done: number; failed: number; total: number | null }) {
  return (
    <div class="progress">
      <label for={id}>{label}</label>
      {total === null ? <progress id={id} /> : <progress id={id} max={Math.max(total, 1)} value={done} />}
      <span class="progress-text">
        {total === null ? 'counting…' : `${done} of ${total} done`}
        {failed > 0 ? `, ${failed} failed` : ''}
      </span>
    </div>
  );
}

interface Props {
  batch: BatchStatus;
  cancelling: boolean;
  onCancel(batch: BatchStatus): void;
}

export function BatchItem({ batch: b, cancelling, onCancel }: Props) {
  const base = `batch-${idPart(b.id)}`;
  const short = b.id.slice(0, 8);
  // An uploaded input refused (or cancelled) while it was being checked has no rows or chunks to count: no progress to show.
  const uncounted = isFinished(b) && (b.chunks.total === null || b.rows.total === null);
  return (
    <li class={`batch state-${b.state}`} aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>
        {b.model.name} version {b.model.version}, batch <code title={b.id}>{short}</code>
      </h3>
      <p>
        State: <strong class="state">{b.state}</strong>
      </p>
      {uncounted ? (
        <p class="uncounted">{b.problem ? 'Refused before its rows were stored: nothing was scored.' : 'Stopped before its rows were counted: nothing was scored.'}</p>
      ) : (
        <>
          <Progress id={`${base}-chunks`} label="Chunks" done={b.chunks.done} failed={b.chunks.failed} total={b.chunks.total} />
          <Progress id={`${base}-rows`} label="Rows" done={b.rows.done} failed={b.rows.failed} total={b.rows.total} />
        </>
      )}
      <dl class="facts">
        <dt>Type</dt>
        <dd>{b.type}</dd>
        <dt>Submitted</dt>
        <dd>{when(b.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{when(b.finishedAt)}</dd>
        <dt>Took</dt>
        <dd>{ms(b.durationMs)}</dd>
      </dl>
      {b.errors.length > 0 && (
        <>
          <h4>Errors</h4>
          <ul class="errors">
            {b.errors.map((e) => (
              <li key={e.chunk}>
                Chunk {e.chunk} (rows {e.rows.from}–{e.rows.to}), {e.attempts} {e.attempts === 1 ? 'attempt' : 'attempts'}: {e.reason}
                {e.requestId && (
                  <>
                    {' '}
                    (request id <code>{e.requestId}</code>)
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {b.problem && <ProblemView error={new ApiError(b.problem.status ?? 422, b.problem.detail ?? 'The input was refused.', b.problem)} title="The input was refused" />}
      <div class="actions">
        {!isFinished(b) && (
          <button type="button" class="danger" disabled={cancelling} onClick={() => onCancel(b)} aria-label={`Cancel batch ${short}`}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
        {b.state === 'succeeded' && b.links.download && (
          <a class="button-link" href={b.links.download} aria-label={`Download results of batch ${short}`}>
            Download results
          </a>
        )}
      </div>
    </li>
  );
}
