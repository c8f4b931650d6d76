# predict() on a scoring endpoint: what predict(model, newdata) gives in R, computed by the
# app. Rows go as JSON records, at most `max_rows` rows and `max_body_bytes` bytes per
# request (a request the app still finds too large is split in two and sent again).

#' Score rows on the app
#'
#' @param object A `scoring_endpoint` (from [scoring_endpoint()]).
#' @param newdata A data frame of rows to score. Columns the model does not take are
#'   dropped (as predict() ignores them), once the app has said which model scored. Date
#'   columns go as "YYYY-MM-DD", POSIXct as the instant in UTC (ISO 8601 with "Z"), and
#'   difftime columns in the units the model was trained with.
#' @param type A prediction type the model offers (see its description); NULL for its default.
#' @param model,version The model's name (NULL: the app's default model) and a version or
#'   alias (NULL: `production`, else `latest`).
#' @param subject A customer or session id (sent as `x-scoring-subject`): while an alias
#'   splits traffic between versions, the same subject is always served by the same one.
#'   NULL: a new one for this call, so that all its rows (however many requests they take)
#'   go to one version.
#' @param ... Not used.
#' @return A numeric vector, a factor (class labels, with the model's levels), a logical
#'   vector, or a data frame with one column per class (probabilities) or value; named by
#'   the rows' names. Attribute `model_version`: the version that scored the rows.
#'   A refusal is an R condition: see the package README (`rscoring_invalid_input` and others).
#' @export
#' @examples
#' \dontrun{
#' predict(endpoint, MASS::Boston[1:5, ])
#' predict(endpoint, penguins, model = "penguins-rf", type = "prob")
#' }
predict.scoring_endpoint <- function(object, newdata, type = NULL, model = NULL, version = NULL, subject = NULL, ...) {
  endpoint <- check_endpoint(object)
  rows <- as_rows(newdata)
  if (!is.null(type) && (!is.character(type) || length(type) != 1L)) stop("`type` must be one string.", call. = FALSE)
  if (!is.null(subject) && (length(subject) != 1L || is.na(subject))) stop("`subject` must be one string.", call. = FALSE)
  path <- score_path(model, version)
  endpoint$subject <- if (is.null(subject)) call_subject() else as.character(subject)
  own_names <- has_own_row_names(rows)
  rows <- difftimes_in_schema_units(endpoint, rows, model, version)
  # Columns the model does not take (the response, an id...) are refused by the app: keep
  # those the refusing version takes, as predict() ignores the rest, and score again. Each
  # try starts from all the columns, so an alias that moves (or splits) between tries to a
  # version with other inputs is no matter. Any other bad value is the caller's to fix.
  given <- rows
  answers <- NULL
  for (attempt in 1:3) {
    answers <- tryCatch(score_rows(endpoint, path, rows, type, own_names), rscoring_invalid_input = function(e) {
      keep <- columns_taken(endpoint, e, names(given))
      if (is.null(keep) || identical(keep, names(rows)) || attempt == 3L) stop(e)
      rows <<- given[keep]
      NULL
    })
    if (!is.null(answers)) break
  }
  values <- do.call(c, lapply(answers, `[[`, "predictions"))
  last <- answers[[length(answers)]]
  names_out <- answer_row_names(answers, rownames(rows))
  desc <- tryCatch(model_description(endpoint, last$model$name, last$model$version), rscoring_error = function(e) NULL)
  out <- if (is.null(desc)) list(kind = NA_character_) else output_of(desc, last$type)
  result <- shape_predictions(values, out, names_out)
  versions <- unique(vapply(answers, function(a) as.character(a$model$version), ""))
  if (length(versions) > 1L) {
    warning(sprintf("The rows were scored by more than one version of %s (%s): an alias moved meanwhile, or splits traffic (give a `subject` to stay on one version).",
                    last$model$name, paste(versions, collapse = ", ")), call. = FALSE)
  }
  attr(result, "model_version") <- versions
  result
}

score_path <- function(model = NULL, version = NULL) model_route("score", model, version)

# A subject of one predict() call: random, so calls spread over a split alias by its weights.
call_subject <- function() paste0("rscoring-", paste(sample(c(letters, 0:9), 16, TRUE), collapse = ""))

# Scores every row, in requests within the endpoint's limits: a list of the answers.
score_rows <- function(endpoint, path, rows, type, own_names) {
  n <- nrow(rows)
  size <- max(1L, endpoint$max_rows)
  starts <- seq(1L, n, by = size)
  answers <- list()
  for (start in starts) {
    idx <- start:min(n, start + size - 1L)
    answers <- c(answers, score_chunk(endpoint, path, rows[idx, , drop = FALSE], type, own_names, start - 1L))
  }
  answers
}

# One request's rows (split in halves while too large): a list of answers.
score_chunk <- function(endpoint, path, rows, type, own_names, offset) {
  n <- nrow(rows)
  halves <- function() {
    first <- seq_len(n %/% 2L)
    c(score_chunk(endpoint, path, rows[first, , drop = FALSE], type, own_names, offset),
      score_chunk(endpoint, path, rows[-first, , drop = FALSE], type, own_names, offset + length(first)))
  }
  body <- rows_json(rows, type, own_names)
  if (n > 1L && nchar(body, type = "bytes") > endpoint$max_body_bytes) return(halves())
  req <- api_request(endpoint, "POST", path, retry = TRUE)
  if (!is.null(endpoint$subject)) req <- httr2::req_headers(req, `x-scoring-subject` = endpoint$subject)
  req <- httr2::req_body_raw(req, body, type = "application/json")
  resp <- perform(req)
  status <- httr2::resp_status(resp)
  if (status == 413L && n > 1L) return(halves())
  if (status >= 300L) signal_problem(resp, row_offset = offset)
  list(resp_json(resp))
}

# The given columns the version that refused the rows takes (NULL: not known).
columns_taken <- function(endpoint, problem, columns) {
  model <- problem$model
  if (is.null(model$name) || is.null(model$version)) return(NULL)
  desc <- tryCatch(model_description(endpoint, model$name, model$version), rscoring_error = function(e) NULL)
  if (is.null(desc)) return(NULL)
  intersect(columns, feature_names(desc))
}

answer_row_names <- function(answers, fallback) {
  from_answers <- do.call(c, lapply(answers, function(a) {
    if (is.null(a$rowNames)) rep(NA_character_, length(a$predictions))
    else vapply(a$rowNames, function(x) if (is.null(x)) NA_character_ else as.character(x), "")
  }))
  if (length(from_answers) != length(fallback)) return(fallback)
  ifelse(is.na(from_answers), fallback, from_answers)
}
