# One classed condition for every answer that is not a prediction. Each carries an HTTP
# status, a stable code, a detail for people, and one entry per bad field.

# `r_message` is R's own error message, kept for the app (see new_service's report_errors).
scoring_error <- function(status, code, detail, errors = list(), r_message = NULL) {
  structure(
    class = c(paste0("scoring_error_", code), "scoring_error", "error", "condition"),
    list(message = detail, call = NULL, status = status, code = code, errors = errors, r_message = r_message)
  )
}

abort_scoring <- function(status, code, detail, errors = list(), r_message = NULL) {
  stop(scoring_error(status, code, detail, errors, r_message))
}

MAX_R_MESSAGE <- 2000L

# An R error's message on one line, as R would print it after "Error: ".
r_message <- function(e) {
  msg <- gsub("[\r\n]+\\s*", " ", trimws(conditionMessage(e)))
  if (nchar(msg) > MAX_R_MESSAGE) msg <- paste0(substr(msg, 1L, MAX_R_MESSAGE), "...")
  msg
}

# One entry of `errors[]`: the field, the 0-based row (JSON indexing) and a JSON pointer.
field_error <- function(field, message, row = NULL, pointer = NULL) {
  entry <- list(field = field, message = message)
  if (!is.null(row)) entry$row <- as.integer(row)
  if (!is.null(pointer)) entry$pointer <- pointer
  entry
}

error_titles <- c(
  malformed_json = "Malformed JSON",
  invalid_request = "Invalid request",
  invalid_input = "Invalid input",
  unsupported_type = "Unsupported prediction type",
  unsupported_media_type = "Unsupported media type",
  not_ready = "Model not ready",
  not_found = "Not found",
  prediction_failed = "Prediction failed",
  internal = "Internal error"
)

# The RFC 9457 body for a scoring_error.
problem_body <- function(err) {
  title <- error_titles[[err$code]]
  body <- list(
    type = paste0("urn:r-scoring:error:", err$code),
    title = if (is.null(title)) err$code else title,
    status = err$status,
    code = err$code,
    detail = err$message
  )
  if (length(err$errors) > 0) body$errors <- err$errors
  if (!is.null(err$r_message)) body$rMessage <- err$r_message
  body
}
