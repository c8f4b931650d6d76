# Rolling a version out by weight, shadowing another (admin calls: PUT
# /api/models/{name}/aliases/{alias} with {"versions": {...}, "shadow": {...}}), and
# watching it: GET /api/models/{name}/monitoring as data frames.

#' Split an alias's traffic between versions, optionally shadowing another
#'
#' An admin call: `PUT /api/models/{name}/aliases/{alias}`. Requests to the alias are
#' assigned by weight (by chance, or by their `subject`); a shadow version also scores
#' `shadow_percent` percent of them after the answer, and its predictions are compared with
#' the served ones (see [model_monitoring()]). [promote()] to one version ends the rollout.
#' @inheritParams promote
#' @param versions Named weights, e.g. `c("3" = 90, "4" = 10)`.
#' @param shadow A version to shadow (NULL: none).
#' @param shadow_percent The share of requests the shadow scores, in percent.
#' @return The move (`alias`, `from`, `to`, `traffic`, `at`, `by`), invisibly.
#' @export
set_traffic <- function(endpoint, name, versions, alias = "production", shadow = NULL, shadow_percent = 100) {
  if (!is.numeric(versions) || is.null(names(versions)) || any(names(versions) == "")) {
    stop("`versions` must be named weights, e.g. c(\"3\" = 90, \"4\" = 10).", call. = FALSE)
  }
  body <- list(versions = as.list(versions))
  if (!is.null(shadow)) body$shadow <- list(version = as.character(shadow), percent = shadow_percent)
  req <- api_request(endpoint, "PUT",
                     sprintf("/api/models/%s/aliases/%s", path_part(name, "name"), path_part(alias, "alias")),
                     admin = TRUE)
  req <- json_body(req, body)
  invisible(resp_json(api_perform(req)))
}

#' A model's monitoring: traffic, errors, latency, input drift and shadow agreement
#'
#' `GET /api/models/{name}/monitoring`, merged across the app's instances.
#' @inheritParams promote
#' @param version A version, or an alias (its versions); NULL: every version with traffic.
#' @param window How far back: minutes, or "15m", "6h" (at most "24h").
#' @return A list of data frames: `versions` (one row per version: requests, rows,
#'   error_rate, p50_ms, p95_ms, p99_ms, drifted: the drifting inputs, comma-separated),
#'   `features` (version, feature, psi, drift, out_of_range_share, missing_share,
#'   reference_missing_share, unseen_level_attempts), `bins` (version, feature, bin,
#'   reference, live: each input's distribution against its training reference), `shadow`
#'   (version, shadow, requests, agreement, mean_abs_diff, class_agreement, failed,
#'   dropped); and `report`, the answer as parsed.
#' @export
model_monitoring <- function(endpoint, name, version = NULL, window = "1h") {
  req <- api_request(endpoint, "GET", sprintf("/api/models/%s/monitoring", path_part(name, "name")),
                     query = list(version = version, window = window), retry = TRUE)
  report <- resp_json(api_perform(req))
  num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)
  rows <- function(items, f) {
    parts <- lapply(items, f)
    if (length(parts) == 0L) return(NULL)
    do.call(rbind, parts)
  }
  frame <- function(...) data.frame(..., stringsAsFactors = FALSE)
  versions <- report$versions
  list(
    versions = rows(versions, function(v) frame(
      version = v$version, requests = num(v$requests), rows = num(v$rows), error_rate = num(v$errorRate),
      p50_ms = num(v$latencyMs$p50), p95_ms = num(v$latencyMs$p95), p99_ms = num(v$latencyMs$p99),
      drifted = paste(unlist(v$drifted), collapse = ", ")
    )),
    features = rows(versions, function(v) rows(v$features, function(f) frame(
      version = v$version, feature = f$name, psi = num(f$psi), drift = if (is.null(f$drift)) NA else isTRUE(f$drift),
      out_of_range_share = num(f$outOfRangeShare), missing_share = num(f$nullShare$live),
      reference_missing_share = num(f$nullShare$reference), unseen_level_attempts = num(f$unseenLevelAttempts)
    ))),
    bins = rows(versions, function(v) rows(v$features, function(f) rows(f$bins, function(b) frame(
      version = v$version, feature = f$name, bin = b$label, reference = num(b$reference), live = num(b$live)
    )))),
    shadow = rows(versions, function(v) rows(v$shadow, function(s) frame(
      version = v$version, shadow = s$version, requests = num(s$requests), agreement = num(s$agreement),
      mean_abs_diff = num(s$meanAbsDiff), class_agreement = num(s$classAgreement), failed = num(s$failed), dropped = num(s$dropped)
    ))),
    report = report
  )
}
