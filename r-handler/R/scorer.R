# How a model is scored: through its adapter (predict() as each type's spec says), or a
# custom score() from score.R. A scorer is list(types, default_type, custom, fn(newdata,
# type)); fn returns one value per row (see prediction_values).

# score.R is sourced into its own environment. It must define score(model, newdata, ...)
# and may define score_types (the first one is the default); `types` (publish --types)
# replaces score_types.
custom_scorer <- function(path, model, types = NULL) {
  env <- new.env(parent = globalenv())
  sys.source(path, envir = env)
  if (!exists("score", envir = env, inherits = FALSE) || !is.function(env$score)) {
    stop("score.R must define a function score(model, newdata, ...)")
  }
  if (is.null(types) || length(types) == 0L) {
    types <- if (exists("score_types", envir = env, inherits = FALSE)) as.character(env$score_types) else "response"
  }
  fn <- env$score
  takes_type <- any(c("type", "...") %in% names(formals(fn)))
  list(
    types = types,
    default_type = types[[1L]],
    custom = TRUE,
    fn = function(newdata, type) {
      raw <- if (takes_type) fn(model, newdata, type = type) else fn(model, newdata)
      prediction_values(raw, nrow(newdata))
    }
  )
}

# A scorer over the model's adapter, from each type's spec (type_spec), by name. With
# `padding` (complete_levels.R) every call's rows are scored with the padding rows after
# them; without, predict() sees the rows alone.
adapter_scorer <- function(model, specs, default_type, padding = NULL) {
  if (is.function(model)) stop("a model that is a function needs no model.rds: use score.R")
  fn <- if (is.null(padding)) {
    function(newdata, type) prediction_values(adapter_predict(model, newdata, specs[[type]]), nrow(newdata))
  } else {
    function(newdata, type) padded_values(model, newdata, specs[[type]], padding)
  }
  list(
    types = names(specs),
    default_type = default_type,
    custom = FALSE,
    specs = specs,
    complete_levels = !is.null(padding),
    fn = fn
  )
}

# The specs a model.json records for its types ("call": {"type", "field", "newdata"}). A
# schema of version 1 recorded none: each type is then predict()'s type of that name.
schema_specs <- function(schema) {
  types <- schema$output$types
  lapply(stats::setNames(names(types), names(types)), function(name) {
    call <- types[[name]]$call
    if (is.null(call)) return(type_spec(name))
    type_spec(name, type = call$type, field = call$field, matrix = identical(call$newdata, "matrix"))
  })
}

# The scorer of a model with a model.json: its types, default and specs as recorded, and
# the padding rows of a model that needs every level present ("completeLevels").
schema_scorer <- function(model, schema, score_path = NULL) {
  scorer <- if (is.null(score_path)) {
    adapter_scorer(model, schema_specs(schema), schema$output$defaultType, schema_padding(schema))
  } else {
    custom_scorer(score_path, model, names(schema$output$types))
  }
  if (!is.null(schema$output$defaultType)) scorer$default_type <- schema$output$defaultType
  scorer
}

# The padding rows model.json asks for: NULL unless "completeLevels" is true.
schema_padding <- function(schema) {
  if (!isTRUE(schema$completeLevels)) return(NULL)
  padding <- level_padding(schema_example(schema), schema$features)
  if (is.null(padding)) stop("model.json asks for every level present (completeLevels) but no feature has levels")
  padding
}
