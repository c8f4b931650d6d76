# Every non-2xx answer of the app is application/problem+json (RFC 9457):
# type, title, status, code, detail, requestId, model, errors[{field, row, pointer, message}].
# It becomes an R condition of class c("rscoring_<code>", "rscoring_error", "error", "condition")
# carrying those fields, so callers can tryCatch(rscoring_invalid_input = ...) and look at
# `e$errors`.

# Codes for answers that carry no problem body (the host's own 401 and 429, a proxy's 502...).
status_codes <- c(
  "400" = "bad_request", "401" = "unauthorized", "403" = "forbidden", "404" = "not_found",
  "405" = "method_not_allowed", "409" = "conflict", "413" = "payload_too_large",
  "429" = "too_many_requests", "500" = "internal", "502" = "bad_gateway",
  "503" = "unavailable", "504" = "timeout"
)

signal_problem <- function(resp, row_offset = 0L) {
  stop(problem_condition(resp, row_offset = row_offset))
}

# The condition for a problem answer. `errors` is a data frame (field, row, pointer,
# message) whose `row` is 1-based and counts from the first row of the data you passed
# (the API's `row` is 0-based and counts within one request); `pointer` is the API's.
problem_condition <- function(resp, row_offset = 0L) {
  status <- httr2::resp_status(resp)
  body <- tryCatch({
    text <- httr2::resp_body_string(resp, encoding = "UTF-8")
    if (nzchar(text) && grepl("json", or_else(httr2::resp_content_type(resp), ""), fixed = TRUE)) {
      jsonlite::parse_json(text, simplifyVector = FALSE)
    }
  }, error = function(e) NULL)
  if (!is.list(body)) body <- list()
  code <- or_else(body$code, unname(status_codes[as.character(status)]))
  if (is.null(code) || is.na(code)) code <- paste0("http_", status)
  title <- or_else(body$title, httr2::resp_status_desc(resp))
  if (is.null(title) || is.na(title)) title <- paste("HTTP", status)
  retry_after <- tryCatch(httr2::resp_retry_after(resp), error = function(e) NA)
  fields <- list(
    type = or_else(body$type, "about:blank"),
    title = title,
    status = as.integer(status),
    code = code,
    detail = or_else(body$detail, if (status == 401L) "Missing or wrong key." else NA_character_),
    requestId = or_else(body$requestId, NA_character_),
    instance = or_else(body$instance, NA_character_),
    model = body$model,
    errors = field_errors(body$errors, row_offset),
    retry_after = retry_after
  )
  rscoring_condition(code, problem_message(fields), fields)
}

field_errors <- function(errors, row_offset = 0L) {
  if (length(errors) == 0L) {
    return(data.frame(field = character(), row = integer(), pointer = character(), message = character(),
                      stringsAsFactors = FALSE))
  }
  str <- function(e, name) { v <- e[[name]]; if (is.null(v)) NA_character_ else as.character(v) }
  data.frame(
    field = vapply(errors, str, "", "field"),
    row = vapply(errors, function(e) if (is.null(e$row)) NA_integer_ else as.integer(e$row) + 1L + as.integer(row_offset), 0L),
    pointer = vapply(errors, str, "", "pointer"),
    message = vapply(errors, str, "", "message"),
    stringsAsFactors = FALSE
  )
}

problem_message <- function(p, show = 5L) {
  head <- sprintf("%s (HTTP %s, %s)", p$title, p$status, p$code)
  if (!is.na(p$detail) && nzchar(p$detail)) head <- paste0(head, ": ", p$detail)
  lines <- head
  if (!is.null(p$model$name)) {
    lines <- c(lines, sprintf("Model: %s, version %s.", p$model$name, or_else(p$model$version, "?")))
  }
  e <- p$errors
  if (nrow(e) > 0L) {
    shown <- utils::head(e, show)
    where <- ifelse(is.na(shown$row), shown$field, sprintf("row %d, %s", shown$row, shown$field))
    lines <- c(lines, paste0("* ", where, ": ", shown$message))
    if (nrow(e) > show) lines <- c(lines, sprintf("... and %d more (see the condition's `errors`).", nrow(e) - show))
  }
  if (!is.na(p$requestId)) lines <- c(lines, paste0("Request id: ", p$requestId))
  paste(lines, collapse = "\n")
}

rscoring_condition <- function(code, message, fields = list()) {
  structure(
    c(list(message = message, call = NULL), fields),
    class = c(paste0("rscoring_", code), "rscoring_error", "error", "condition")
  )
}

# An error of the client's own (not an answer of the app), in the same family.
signal_error <- function(code, message, ...) {
  stop(rscoring_condition(code, message, list(code = code, ...)))
}
