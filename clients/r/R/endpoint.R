# The scoring endpoint: the app's address, its keys (kept out of sight) and the limits
# the client splits requests by.

#' Connect to a scoring app
#'
#' @param url The app's base address, e.g. "http://127.0.0.1:7071" (a trailing "/api" is
#'   accepted). Keys never go in the URL: a URL with a `code=` query is refused.
#' @param key A function key, sent in the `x-functions-key` header.
#' @param admin_key Optional: the master (admin) key, for publishing and moving aliases.
#' @param timeout Seconds an API call may take.
#' @param max_rows Rows per scoring request (the app's `MAX_ROWS`, 10,000 by default):
#'   larger `newdata` goes in several requests.
#' @param max_body_bytes Bytes per scoring request body (the app's `MAX_BODY_BYTES`, 4 MiB).
#' @param retries How many times an idempotent call is retried after 429 or 503.
#' @return An object of class `scoring_endpoint`. Printing it never shows a key.
#' @export
#' @examples
#' \dontrun{
#' endpoint <- scoring_endpoint("http://127.0.0.1:7071", key = Sys.getenv("SCORING_KEY"))
#' endpoint
#' }
scoring_endpoint <- function(url = Sys.getenv("RSCORING_URL"),
                             key = Sys.getenv("RSCORING_KEY"),
                             admin_key = Sys.getenv("RSCORING_ADMIN_KEY"),
                             timeout = 60, max_rows = 10000L,
                             max_body_bytes = 4 * 1024^2, retries = 2L) {
  if (!is.character(url) || length(url) != 1L || is.na(url) || !nzchar(url)) {
    stop("`url` must be the scoring app's address, e.g. \"http://127.0.0.1:7071\".", call. = FALSE)
  }
  if (!grepl("^https?://[^/?#]+", url)) stop("`url` must start with http:// or https://.", call. = FALSE)
  if (grepl("[?&]code=", url)) {
    stop("Do not put a key in the URL: pass it as `key`, it is sent in the x-functions-key header.", call. = FALSE)
  }
  url <- sub("/+$", "", sub("[?#].*$", "", url))
  url <- sub("/api$", "", url)
  secrets <- new.env(parent = emptyenv())
  secrets$key <- clean_key(key, "key")
  secrets$admin_key <- clean_key(admin_key, "admin_key")
  if (is.null(secrets$key) && is.null(secrets$admin_key)) {
    warning("No key given: every route but /api/health needs one.", call. = FALSE)
  }
  structure(
    list(
      url = url,
      timeout = as.numeric(timeout),
      max_rows = as.integer(max_rows),
      max_body_bytes = as.numeric(max_body_bytes),
      retries = as.integer(retries),
      secrets = secrets,
      cache = new.env(parent = emptyenv())
    ),
    class = "scoring_endpoint"
  )
}

clean_key <- function(key, what) {
  if (is.null(key) || length(key) == 0L || (length(key) == 1L && (is.na(key) || !nzchar(key)))) return(NULL)
  if (!is.character(key) || length(key) != 1L) stop(sprintf("`%s` must be one string.", what), call. = FALSE)
  key
}

format.scoring_endpoint <- function(x, ...) {
  state <- function(k) if (is.null(k)) "not set" else "set (hidden)"
  c(
    "<scoring_endpoint>",
    paste0("  url:       ", x$url),
    paste0("  key:       ", state(x$secrets$key)),
    paste0("  admin key: ", state(x$secrets$admin_key)),
    sprintf("  requests:  at most %s rows and %s bytes each; timeout %ss",
            format(x$max_rows, big.mark = ","), format(x$max_body_bytes, big.mark = ",", scientific = FALSE), x$timeout)
  )
}

print.scoring_endpoint <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

check_endpoint <- function(endpoint) {
  if (!inherits(endpoint, "scoring_endpoint")) {
    stop("`endpoint` must come from scoring_endpoint().", call. = FALSE)
  }
  invisible(endpoint)
}

# The key a call uses: the admin key for admin calls, else the function key (the admin
# key opens function-level routes too, so it stands in when it is the only one).
endpoint_key <- function(endpoint, admin = FALSE) {
  s <- endpoint$secrets
  if (admin) {
    if (is.null(s$admin_key)) {
      stop("This is an admin call: give scoring_endpoint() an `admin_key` (the app's master key).", call. = FALSE)
    }
    return(s$admin_key)
  }
  or_else(s$key, s$admin_key)
}

or_else <- function(x, y) if (is.null(x)) y else x
