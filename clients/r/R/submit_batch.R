# Submitting a batch: the rows as a text/csv body up to ~50 MB, else uploaded straight to
# Blob Storage through a short-lived URL and submitted by the blob's name.

#' Submit a batch
#'
#' @param endpoint A `scoring_endpoint` (from [scoring_endpoint()]).
#' @param data A data frame, or the path of a CSV file with a header line (`write.csv`'s
#'   row-name column is understood), or of an NDJSON file (`.ndjson`, `.jsonl`; always uploaded).
#' @param model,version,type As for predict(). With a data frame and `model` given, columns
#'   the model does not take are dropped.
#' @param chunk_size Rows per chunk (NULL: the app's default, 10,000).
#' @param idempotency_key A key that makes a retried submit return the same batch.
#' @param upload NA: upload inputs of more than `getOption("rscoring.upload_threshold")`
#'   bytes (50 MB) through an upload URL, send smaller ones as the body; TRUE or FALSE to
#'   force either way.
#' @param output The results' default format ("csv" or "json"); batch_results() asks for CSV.
#' @return A `scoring_batch` (its `id`, `state`, ...).
#' @export
submit_batch <- function(endpoint, data, model = NULL, version = NULL, type = NULL, chunk_size = NULL,
                         idempotency_key = NULL, upload = NA, output = NULL) {
  check_endpoint(endpoint)
  if (!is.logical(upload) || length(upload) != 1L) stop("`upload` must be NA, TRUE or FALSE.", call. = FALSE)
  input <- batch_input(endpoint, data, model, version)
  on.exit(if (input$temporary) unlink(input$path))
  format <- input$format
  size <- file.size(input$path)
  if (format == "ndjson" && isFALSE(upload)) stop("NDJSON input goes through an upload: use `upload = NA` or TRUE.", call. = FALSE)
  if (is.na(upload)) upload <- format == "ndjson" || size > getOption("rscoring.upload_threshold", 50e6)
  path <- batch_path(model, version)
  options <- list(type = type, chunkSize = if (!is.null(chunk_size)) as.integer(chunk_size), output = output)
  if (upload) {
    blob <- upload_input(endpoint, input$path, format)
    req <- api_request(endpoint, "POST", path)
    req <- json_body(req, c(list(blob = blob), Filter(Negate(is.null), options)))
  } else {
    req <- api_request(endpoint, "POST", path, query = options)
    # The app answers once every row is checked and stored: allow a large body its time.
    req <- httr2::req_timeout(req, max(endpoint$timeout, 600))
    req <- httr2::req_headers(req, Expect = "")
    req <- httr2::req_body_file(req, input$path, type = "text/csv")
  }
  if (!is.null(idempotency_key)) {
    req <- httr2::req_headers(req, `Idempotency-Key` = as.character(idempotency_key))
    if (endpoint$retries > 0L && upload) req <- httr2::req_retry(req, max_tries = endpoint$retries + 1L)
  }
  new_batch(resp_json(api_perform(req)), resp = NULL)
}

batch_path <- function(model = NULL, version = NULL) model_route("batches", model, version)

# The input as a file: list(path, format, temporary).
batch_input <- function(endpoint, data, model, version) {
  if (is.character(data)) {
    if (length(data) != 1L || !file.exists(data)) stop("`data` must be a data frame or the path of an existing file.", call. = FALSE)
    format <- if (grepl("\\.(ndjson|jsonl)$", data, ignore.case = TRUE)) "ndjson" else "csv"
    return(list(path = data, format = format, temporary = FALSE))
  }
  rows <- as_rows(data, "data")
  if (!is.null(model)) {
    desc <- model_description(endpoint, model, or_else(version, default_version(endpoint, model)))
    keep <- intersect(names(rows), feature_names(desc))
    if (length(keep) > 0L) rows <- rows[keep]
  }
  rows <- difftimes_in_schema_units(endpoint, rows, model, version)
  path <- tempfile("rscoring-batch-", fileext = ".csv")
  write_rows_csv(rows, path)
  list(path = path, format = "csv", temporary = TRUE)
}
