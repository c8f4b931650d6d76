# A batch as the app describes it: id, state (validating, queued, running, succeeded,
# failed, cancelled), model, type, rows and chunks (total, done, failed), timings, errors
# (which chunk, which rows, why) and, for a refused upload, the problem. `batch_status()`,
# `wait_batch()` and `cancel_batch()` give it anew.

FINISHED <- c("succeeded", "failed", "cancelled")

new_batch <- function(body, resp = NULL) {
  if (!is.list(body) || is.null(body$id)) stop("The app's answer does not describe a batch.", call. = FALSE)
  counts <- function(x) if (is.list(x)) x else list(total = x, done = 0L, failed = 0L)
  body$rows <- counts(body$rows)
  body$chunks <- counts(body$chunks)
  body$retry_after <- if (!is.null(resp)) suppressWarnings(httr2::resp_retry_after(resp)) else NA
  structure(body, class = "scoring_batch")
}

batch_id <- function(batch) {
  id <- if (inherits(batch, "scoring_batch")) batch$id else batch
  if (!is.character(id) || length(id) != 1L || !nzchar(id)) stop("`batch` must be a scoring_batch or a batch id.", call. = FALSE)
  id
}

#' The state of a batch
#'
#' `GET /api/batches/{id}?redirect=false`.
#' @param endpoint A `scoring_endpoint` (from [scoring_endpoint()]).
#' @param batch A `scoring_batch` (from [submit_batch()]) or a batch id.
#' @return A `scoring_batch`: `id`, `state`, `model`, `type`, `rows` and `chunks` (`total`,
#'   `done`, `failed`), timings, `errors` and, for a refused upload, `problem`.
#' @export
batch_status <- function(endpoint, batch) {
  req <- api_request(endpoint, "GET", paste0("/api/batches/", path_part(batch_id(batch), "batch")),
                     query = list(redirect = "false"), retry = TRUE)
  resp <- api_perform(req)
  new_batch(resp_json(resp), resp)
}

#' Wait for a batch to finish
#'
#' Polls the batch (as often as the app's Retry-After says, or every `interval` seconds)
#' until it has succeeded, failed or been cancelled. Past `timeout` seconds it signals an
#' `rscoring_wait_timeout` condition (whose `batch` is the last state seen).
#' @inheritParams batch_status
#' @param timeout Seconds to wait at most.
#' @param interval Seconds between polls (NULL: the app's Retry-After, 1 s).
#' @return The finished `scoring_batch` (check its `state`; batch_results() signals a failure).
#' @export
wait_batch <- function(endpoint, batch, timeout = 600, interval = NULL) {
  deadline <- Sys.time() + timeout
  repeat {
    status <- batch_status(endpoint, batch)
    if (status$state %in% FINISHED) return(status)
    left <- as.numeric(difftime(deadline, Sys.time(), units = "secs"))
    if (left <= 0) {
      signal_error("wait_timeout",
                   sprintf("Batch %s is still %s after %s seconds (%s of %s chunks done).", status$id, status$state,
                           format(timeout), format(status$chunks$done), format(or_else(status$chunks$total, "?"))),
                   batch = status)
    }
    pause <- or_else(interval, if (is.na(status$retry_after)) 1 else status$retry_after)
    Sys.sleep(max(0.05, min(pause, left)))
  }
}

#' Cancel a batch
#'
#' Chunks not started are skipped. A batch that already finished signals
#' `rscoring_batch_finished`.
#' @inheritParams batch_status
#' @return The `scoring_batch`, cancelled.
#' @export
cancel_batch <- function(endpoint, batch) {
  req <- api_request(endpoint, "DELETE", paste0("/api/batches/", path_part(batch_id(batch), "batch")))
  new_batch(resp_json(api_perform(req)))
}

format.scoring_batch <- function(x, ...) {
  n <- function(v) if (is.null(v)) "?" else format(v, big.mark = ",")
  lines <- c(
    sprintf("<scoring_batch> %s: %s", x$id, x$state),
    sprintf("  model: %s version %s, type %s", or_else(x$model$name, "?"), or_else(x$model$version, "?"), or_else(x$type, "?")),
    sprintf("  rows:   %s done, %s failed, of %s", n(x$rows$done), n(x$rows$failed), n(x$rows$total)),
    sprintf("  chunks: %s done, %s failed, of %s", n(x$chunks$done), n(x$chunks$failed), n(x$chunks$total))
  )
  if (!is.null(x$durationMs)) lines <- c(lines, sprintf("  took:   %.1f s", x$durationMs / 1000))
  for (e in x$errors) {
    lines <- c(lines, sprintf("  error: chunk %s (rows %s-%s), %s attempt(s): %s", e$chunk, e$rows$from + 1, e$rows$to + 1,
                              e$attempts, e$reason))
  }
  if (!is.null(x$problem)) lines <- c(lines, paste0("  refused: ", or_else(x$problem$detail, x$problem$title)))
  lines
}

print.scoring_batch <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}
