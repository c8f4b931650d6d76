# What a model version offers: GET /api/models/{name}/versions/{version} gives its features
# and, for each prediction type, its output (`kind`: numeric, class, logical,
# probabilities with `classes`, values with `columns`). A version's description is kept
# for the session (a version changes only when republished with force, which
# publish_model() forgets it for; aliases are never cached).

model_description <- function(endpoint, name, version, fresh = FALSE) {
  key <- paste(name, version, sep = "@")
  cached <- if (!fresh) endpoint$cache[[key]]
  if (!is.null(cached)) return(cached)
  req <- api_request(endpoint, "GET", sprintf("/api/models/%s/versions/%s", path_part(name, "model"), path_part(version, "version")),
                     retry = TRUE)
  desc <- resp_json(api_perform(req))
  if (identical(desc$version, version)) assign(key, desc, envir = endpoint$cache)
  desc
}

# The version a model's score route uses now: its `production` alias, else `latest`.
default_version <- function(endpoint, name) {
  req <- api_request(endpoint, "GET", paste0("/api/models/", path_part(name, "model")), retry = TRUE)
  or_else(resp_json(api_perform(req))$defaultVersion, "latest")
}

feature_names <- function(desc) {
  vapply(desc$features, function(f) as.character(f$name), "")
}

# How to shape a prediction type's values in R: list(kind, classes or columns).
output_of <- function(desc, type) {
  types <- desc$predictionTypes
  out <- types[[type]]
  if (is.null(out)) return(list(kind = NA_character_))
  kind <- or_else(out$kind, "numeric")
  classes <- unlist(out$classes)
  if (kind == "class" && is.null(classes)) {
    # Class labels whose levels the schema does not list: the classes of the model's
    # probabilities (the same classifier's levels, in its order).
    for (t in types) if (identical(t$kind, "probabilities") && length(t$classes) > 0L) { classes <- unlist(t$classes); break }
  }
  list(kind = kind, classes = as.character(classes), columns = as.character(unlist(out$columns)))
}

forget_description <- function(endpoint, name, version) {
  key <- paste(name, version, sep = "@")
  if (exists(key, envir = endpoint$cache, inherits = FALSE)) rm(list = key, envir = endpoint$cache)
}
