# Moving aliases (admin calls; the routes are being built): promote() points an alias at a
# version; rollback() moves it back to where its last move took it from, read from the
# model's history (GET /api/models/{name}/history: {"history": [{alias, from, to, at, by}]},
# newest last).

#' Point an alias at a version
#'
#' An admin call: `PUT /api/models/{name}/aliases/{alias}`.
#' @param endpoint A `scoring_endpoint` (from [scoring_endpoint()]).
#' @param name The model's name.
#' @param version The version the alias should name.
#' @param alias The alias to move.
#' @return The move (`alias`, `from`, `to`, `at`, `by`), invisibly.
#' @export
promote <- function(endpoint, name, version, alias = "production") {
  req <- api_request(endpoint, "PUT",
                     sprintf("/api/models/%s/aliases/%s", path_part(name, "name"), path_part(alias, "alias")),
                     admin = TRUE)
  req <- json_body(req, list(version = as.character(version)))
  invisible(resp_json(api_perform(req)))
}

#' Move an alias back to the version it pointed at before its last move
#'
#' An admin call: reads `GET /api/models/{name}/history` and moves the alias back to the
#' `from` of its last move. Rolling back twice moves it forth again.
#' @inheritParams promote
#' @return The app's answer to the move (invisibly); signals `rscoring_no_history` when the
#'   alias has no earlier version.
#' @export
rollback <- function(endpoint, name, alias = "production") {
  moves <- model_history(endpoint, name)
  mine <- Filter(function(m) identical(m$alias, alias), moves)
  if (length(mine) == 0L) signal_error("no_history", sprintf("Alias %s of %s has never moved.", alias, name))
  last <- mine[[length(mine)]]
  if (is.null(last$from)) {
    signal_error("no_history", sprintf("Alias %s of %s pointed at no version before %s.", alias, name, or_else(last$to, "its last move")))
  }
  message(sprintf("Moving %s of %s back from version %s to %s.", alias, name, or_else(last$to, "?"), last$from))
  promote(endpoint, name, last$from, alias)
}

model_history <- function(endpoint, name) {
  req <- api_request(endpoint, "GET", sprintf("/api/models/%s/history", path_part(name, "name")), admin = TRUE, retry = TRUE)
  or_else(resp_json(api_perform(req))$history, list())
}
