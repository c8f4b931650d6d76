# A succeeded batch's results: GET /api/batches/{id}/results (Accept: text/csv) answers
# 303 See Other to a short-lived read-only link to the results file in Blob Storage. The
# link needs no key, and the key must not follow it to that other host: curl (under
# httr2 0.2.2) sends custom headers such as x-functions-key on to any host a redirect
# names, so the API call follows no redirect and the file is fetched by a second request
# that carries no key.

#' The results of a batch
#'
#' @inheritParams batch_status
#' @param partial With FALSE (the default) the batch must have succeeded; with TRUE a
#'   running, cancelled or failed batch gives the rows of the chunks done so far (in input
#'   order; a warning says when the app sent only the first of them, past its
#'   `PARTIAL_RESULTS_MAX_ROWS`).
#' @return A data frame in input order: `row` (the input's row, 1-based, where the app's
#'   results count from 0), `rowName` when the input named its rows, then `prediction`
#'   (numeric, a factor with the model's levels, or logical) or one column per class or
#'   value. Doubles are exact.
#'   Signals `rscoring_batch_failed`, `rscoring_batch_cancelled` or
#'   `rscoring_batch_not_finished` for a batch that has not succeeded (unless `partial`).
#' @export
#' @examples
#' \dontrun{
#' batch <- submit_batch(endpoint, houses, model = "boston-rf")
#' results <- batch_results(endpoint, wait_batch(endpoint, batch))
#' done_so_far <- batch_results(endpoint, cancel_batch(endpoint, batch), partial = TRUE)
#' }
batch_results <- function(endpoint, batch, partial = FALSE) {
  status <- batch_status(endpoint, batch)
  if (status$state == "failed" && !partial) {
    signal_error("batch_failed", paste0(batch_failure_message(status), "\n(batch_results(partial = TRUE) gives the rows that were scored.)"),
                 batch = status, errors = status$errors, problem = status$problem)
  }
  if (status$state == "cancelled" && !partial) {
    signal_error("batch_cancelled", sprintf("Batch %s was cancelled: batch_results(partial = TRUE) gives the rows scored before.", status$id),
                 batch = status)
  }
  if (status$state != "succeeded" && !partial) {
    signal_error("batch_not_finished",
                 sprintf("Batch %s is %s: call wait_batch() first (or batch_results(partial = TRUE)).", status$id, status$state),
                 batch = status)
  }
  req <- api_request(endpoint, "GET", paste0("/api/batches/", path_part(status$id, "batch"), "/results"),
                     accept = "text/csv", retry = TRUE)
  resp <- api_perform(req, expect = 303L)
  file <- tempfile("rscoring-results-", fileext = ".csv")
  on.exit(unlink(file))
  if (httr2::resp_status(resp) == 303L) {
    location <- httr2::resp_header(resp, "location")
    if (is.null(location)) stop("The app's 303 answer has no Location.", call. = FALSE)
    download_results(resolve_location(endpoint$url, location), file)
  } else {
    writeBin(httr2::resp_body_raw(resp), file)
    if (identical(httr2::resp_header(resp, "x-results-truncated"), "true")) {
      warning(sprintf("Batch %s: the app sent the results of its first chunks only (PARTIAL_RESULTS_MAX_ROWS).", status$id), call. = FALSE)
    }
  }
  desc <- tryCatch(model_description(endpoint, status$model$name, status$model$version), rscoring_error = function(e) NULL)
  out <- if (is.null(desc)) list(kind = NA_character_) else output_of(desc, status$type)
  read_results_csv(file, out)
}

# The results file, fetched with no key and no redirect.
download_results <- function(url, file) {
  req <- storage_request(url, "GET")
  req <- httr2::req_headers(req, Accept = "text/csv")
  resp <- tryCatch(
    httr2::req_perform(req, path = file),
    httr2_failed = function(e) {
      signal_error("connection_error", sprintf("Could not download the results from %s: %s", url_without_query(url),
                                               conditionMessage(e)))
    }
  )
  check_storage(resp, "downloading the results")
  invisible(file)
}

resolve_location <- function(base, location) {
  if (grepl("^https?://", location)) return(location)
  paste0(base, if (!startsWith(location, "/")) "/", location)
}

# The results CSV as a data frame: every cell read as text, then each column typed
# (numbers through the exact reader). The app writes `row` (0-based), `rowName` when the
# input named its rows, then the output: one `prediction` column for numbers, classes and
# logicals, one column per class for probabilities and per value for several values. What
# the values are is the prediction type's output (`out`, from the model's description); a
# single-value output is the first column after `row` and `rowName`, whatever its header
# says (an app that names the model's classes there still writes one class per row).
read_results_csv <- function(file, out) {
  if (file.size(file) == 0L) return(data.frame(row = integer(), prediction = numeric()))
  cells <- utils::read.csv(file, colClasses = "character", check.names = FALSE, na.strings = character(),
                           encoding = "UTF-8", stringsAsFactors = FALSE)
  cells <- unguard_csv_cells(cells)
  result <- list(row = as.integer(cells$row) + 1L)
  if ("rowName" %in% names(cells)) result$rowName <- ifelse(cells$rowName == "", NA_character_, cells$rowName)
  value_columns <- setdiff(names(cells), c("row", "rowName"))
  kind <- out$kind
  if (is.na(kind)) kind <- if (identical(value_columns, "prediction")) "numeric" else "probabilities"
  missing_text <- function(text) is.na(text) | text == ""
  if (kind %in% c("numeric", "class", "logical")) {
    text <- if (length(value_columns)) cells[[value_columns[[1L]]]] else character(nrow(cells))
    result$prediction <- switch(kind,
      class = class_factor(ifelse(missing_text(text), NA_character_, text), out$classes),
      logical = as.logical(ifelse(missing_text(text), NA, text)),
      read_exact_numbers(ifelse(missing_text(text), "", text))
    )
  } else {
    for (col in value_columns) result[[col]] <- read_exact_numbers(ifelse(missing_text(cells[[col]]), "", cells[[col]]))
  }
  df <- as.data.frame(result, check.names = FALSE, stringsAsFactors = FALSE)
  if (is.unsorted(df$row)) {
    df <- df[order(df$row), , drop = FALSE]
    rownames(df) <- NULL
  }
  df
}

batch_failure_message <- function(status) {
  lines <- sprintf("Batch %s failed.", status$id)
  if (!is.null(status$problem)) {
    p <- status$problem
    lines <- c(lines, paste0("Its input was refused: ", or_else(p$detail, p$title)))
    errs <- field_errors(p$errors)
    if (nrow(errs) > 0L) {
      shown <- utils::head(errs, 5L)
      lines <- c(lines, paste0("* row ", shown$row, ", ", shown$field, ": ", shown$message))
    }
  }
  for (e in utils::head(status$errors, 5L)) {
    lines <- c(lines, sprintf("* chunk %s (rows %s-%s): %s", e$chunk, e$rows$from + 1, e$rows$to + 1, e$reason))
  }
  paste(lines, collapse = "\n")
}
