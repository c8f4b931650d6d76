/** An error the app answered (problem+json) or a request that failed, as an alert. */
import { ApiError } from './api';
import type { FieldError } from './types';

interface Props {
  error: unknown;
  /** Field errors already shown next to their fields, left out here. */
  shownFields?: ReadonlySet<string>;
  /** What was being done, for the heading ("Scoring failed"). */
  title?: string;
}

export function ProblemView({ error, shownFields, title }: Props) {
  const problem = error instanceof ApiError ? error.problem : undefined;
  const status = error instanceof ApiError && error.status > 0 ? error.status : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const others: FieldError[] = (problem?.errors ?? []).filter((e) => !shownFields?.has(e.field));
  return (
    <div class="problem" role="alert">
      <p class="problem-title">
        <strong>{title ?? 'The request failed'}</strong>
        {status !== undefined && ` (${status}${problem?.title ? ` ${problem.title}` : ''})`}
      </p>
      <p>{message}</p>
      {others.length > 0 && (
        <ul>
          {others.map((e, i) => (
            <li key={i}>
              {e.field ? <code>{e.field}</code> : 'The row'}
              {e.row !== undefined && e.row > 0 ? ` (row ${e.row})` : ''}: {e.message}
            </li>
          ))}
        </ul>
      )}
      {(problem?.code || problem?.requestId) && (
        <p class="problem-meta">
          {problem.code && (
            <>
              Code <code>{problem.code}</code>.{' '}
            </>
          )}
          {problem.requestId && (
            <>
              Request id <code>{problem.requestId}</code>.
            </>
          )}
        </p>
      )}
    </div>
  );
}
