# A model's versions and their aliases (GET /api/models/{name}), and deleting a version
# (an admin call; the route is being built).

#' A model's versions
#'
#' `GET /api/models/{name}`.
#' @inheritParams promote
#' @return A data frame: `version`, `aliases` (comma-separated, "" for none) and `default`
#'   (the version the model's score route uses: `production`, else `latest`).
#' @export
model_versions <- function(endpoint, name) {
  req <- api_request(endpoint, "GET", paste0("/api/models/", path_part(name, "name")), retry = TRUE)
  model <- resp_json(api_perform(req))
  versions <- as.character(unlist(model$versions))
  aliases <- unlist(model$aliases)
  data.frame(
    version = versions,
    aliases = vapply(versions, function(v) paste(sort(names(aliases)[aliases == v]), collapse = ", "), "", USE.NAMES = FALSE),
    default = versions == or_else(model$defaultVersion, NA_character_),
    stringsAsFactors = FALSE
  )
}

#' Delete a model version
#'
#' An admin call: `DELETE /api/models/{name}/versions/{version}`. A version an alias points
#' at is refused (`rscoring_version_in_use`): move the alias first.
#' @inheritParams promote
#' @param version The version to delete.
#' @return TRUE, invisibly.
#' @export
delete_version <- function(endpoint, name, version) {
  req <- api_request(endpoint, "DELETE",
                     sprintf("/api/models/%s/versions/%s", path_part(name, "name"), path_part(version, "version")),
                     admin = TRUE)
  api_perform(req)
  invisible(TRUE)
}
