# Publishing a model version from R (an admin call; the route is being built):
# PUT /api/models/{name}/versions/{version} as multipart/form-data with file parts `model`
# (model.rds), `prototype` (prototype.rds), optionally `score` (score.R), and text fields
# `response`, `types` and `aliases` (comma-separated); `?force=true` replaces a version.

#' Publish a model version
#'
#' @param endpoint A `scoring_endpoint` (from [scoring_endpoint()]).
#' @param fit The fitted model (saved with saveRDS()).
#' @param name,version The model's name and the new version.
#' @param prototype A data frame of training rows (or a sample): it fixes each input's type,
#'   levels and range, and which inputs may be missing.
#' @param score Optional: the path of a `score.R` defining `score(model, newdata, ...)`, or
#'   such a function (written out with dump(); it keeps no enclosing environment, so load
#'   the packages it needs inside it).
#' @param aliases Aliases to point at the new version (e.g. "production"); `latest` always moves.
#' @param response The prototype's outcome column, when the model has no formula to tell it.
#' @param types Prediction types to offer beyond those found.
#' @param force Replace an existing version.
#' @return The version's description (the 201 answer), invisibly.
#' @export
publish_model <- function(endpoint, fit, name, version, prototype, score = NULL, aliases = NULL,
                          response = NULL, types = NULL, force = FALSE) {
  check_endpoint(endpoint)
  if (!is.data.frame(prototype)) stop("`prototype` must be a data frame of training rows.", call. = FALSE)
  dir <- tempfile("rscoring-publish-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  # curl's form_file() (curl 5.0) names a part's file by its path: the files get the names
  # the app expects.
  model_file <- file.path(dir, "model.rds")
  prototype_file <- file.path(dir, "prototype.rds")
  saveRDS(fit, model_file)
  saveRDS(prototype, prototype_file)
  parts <- list(
    model = curl::form_file(model_file, type = "application/octet-stream"),
    prototype = curl::form_file(prototype_file, type = "application/octet-stream")
  )
  if (!is.null(score)) parts$score <- curl::form_file(score_file(score, dir), type = "text/plain")
  if (!is.null(response)) parts$response <- as.character(response)
  if (length(types) > 0L) parts$types <- paste(types, collapse = ",")
  if (length(aliases) > 0L) parts$aliases <- paste(aliases, collapse = ",")
  req <- api_request(endpoint, "PUT",
                     sprintf("/api/models/%s/versions/%s", path_part(name, "name"), path_part(version, "version")),
                     query = if (isTRUE(force)) list(force = "true"), admin = TRUE)
  req <- httr2::req_timeout(req, max(endpoint$timeout, 300))
  req <- do.call(httr2::req_body_multipart, c(list(req), parts))
  forget_description(endpoint, as.character(name), as.character(version))
  invisible(resp_json(api_perform(req)))
}

# score.R as a file: the path given, or the function written out as `score <- function...`.
score_file <- function(score, dir) {
  path <- file.path(dir, "score.R")
  if (is.function(score)) {
    env <- new.env()
    types <- attr(score, "score_types")
    attr(score, "score_types") <- NULL
    env$score <- score
    if (!is.null(types)) env$score_types <- types
    dump(intersect(c("score_types", "score"), ls(env)), file = path, envir = env)
    return(path)
  }
  if (!is.character(score) || length(score) != 1L || !file.exists(score)) {
    stop("`score` must be the path of a score.R file or a function.", call. = FALSE)
  }
  file.copy(score, path)
  path
}
