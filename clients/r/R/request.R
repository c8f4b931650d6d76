# Calls to the app's API: the key in the x-functions-key header, redirects never followed
# automatically (curl, under httr2 0.2.2, would send every header, the key included, on to
# whatever host a redirect names), and every non-2xx answer turned into an R condition.

api_request <- function(endpoint, method, path, query = NULL, admin = FALSE,
                        accept = "application/json", retry = FALSE) {
  check_endpoint(endpoint)
  url <- paste0(endpoint$url, path)
  query <- Filter(Negate(is.null), query)
  if (length(query) > 0L) {
    url <- paste0(url, "?", paste0(curl::curl_escape(names(query)), "=",
                                   curl::curl_escape(vapply(query, as_query_value, "")), collapse = "&"))
  }
  req <- httr2::request(url)
  req <- httr2::req_method(req, method)
  key <- endpoint_key(endpoint, admin)
  headers <- list(Accept = accept)
  if (!is.null(key)) headers[["x-functions-key"]] <- key
  req <- do.call(httr2::req_headers, c(list(req), headers))
  req <- httr2::req_user_agent(req, user_agent())
  req <- httr2::req_timeout(req, endpoint$timeout)
  req <- httr2::req_options(req, followlocation = 0L)
  req <- httr2::req_error(req, is_error = function(resp) FALSE)
  if (retry && endpoint$retries > 0L) req <- httr2::req_retry(req, max_tries = endpoint$retries + 1L)
  req
}

as_query_value <- function(x) {
  if (is.logical(x)) return(if (isTRUE(x)) "true" else "false")
  if (is.numeric(x)) return(format(x, scientific = FALSE, trim = TRUE))
  as.character(x)
}

user_agent <- function() {
  paste0("rscoring/", utils::packageVersion("rscoring"), " httr2/", utils::packageVersion("httr2"))
}

# Performs a request; a failure to connect becomes an `rscoring_connection_error`.
perform <- function(req) {
  tryCatch(
    httr2::req_perform(req),
    httr2_failed = function(e) {
      signal_error(
        "connection_error",
        sprintf("Could not reach %s: %s", url_without_query(req$url), conditionMessage(e)),
        url = url_without_query(req$url)
      )
    }
  )
}

# Performs a request and returns its response if 2xx, else signals the app's problem.
# `row_offset` shifts the rows the problem names (a chunk's rows within the whole data).
api_perform <- function(req, row_offset = 0L, expect = NULL) {
  resp <- perform(req)
  status <- httr2::resp_status(resp)
  if (status >= 300L && !(status %in% expect)) signal_problem(resp, row_offset = row_offset)
  resp
}

# An API call's JSON answer, parsed without simplification (numbers exact).
resp_json <- function(resp) {
  text <- httr2::resp_body_string(resp, encoding = "UTF-8")
  if (!nzchar(text)) return(NULL)
  jsonlite::parse_json(text, simplifyVector = FALSE)
}

json_body <- function(req, data) {
  httr2::req_body_raw(req, as.character(jsonlite::toJSON(data, auto_unbox = TRUE, null = "null", digits = NA)),
                      type = "application/json")
}

url_without_query <- function(url) sub("[?#].*$", "", url)

path_part <- function(x, what) {
  if (!is.character(x) && !is.numeric(x)) stop(sprintf("`%s` must be a string.", what), call. = FALSE)
  x <- as.character(x)
  if (length(x) != 1L || is.na(x) || !nzchar(x)) stop(sprintf("`%s` must be one non-empty string.", what), call. = FALSE)
  curl::curl_escape(x)
}

# The route of `leaf` ("score", "batches") for the default model, a model's default version,
# or a version or alias of it.
model_route <- function(leaf, model = NULL, version = NULL) {
  if (is.null(model)) {
    if (!is.null(version)) stop("Give `model` with `version`.", call. = FALSE)
    return(paste0("/api/", leaf))
  }
  base <- paste0("/api/models/", path_part(model, "model"))
  if (is.null(version)) paste0(base, "/", leaf) else paste0(base, "/versions/", path_part(version, "version"), "/", leaf)
}
