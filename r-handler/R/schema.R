# The input schema (model.json): feature names, types, factor levels, ranges seen, whether
# null is accepted, the packages the model needs, and each prediction type: its output and
# how predict() is called for it. Written by describe.R from a model plus a prototype data
# frame; derived from the model alone when model.json is absent.

SCHEMA_VERSION <- 2L
EXAMPLE_ROWS <- 5L

# Factor levels the model records for its inputs.
model_factor_levels <- function(model) {
  xlevels <- model_member(model, "xlevels")
  if (!is.null(xlevels)) return(xlevels)
  forest <- model_member(model, "forest")
  if (inherits(model, "randomForest") && !is.null(forest$xlevels)) {
    lv <- forest$xlevels
    return(lv[vapply(lv, is.character, TRUE)])
  }
  list()
}

feature_from_column <- function(name, x, levels = NULL) {
  f <- list(name = name)
  if (is.factor(x) || !is.null(levels)) {
    f$type <- "factor"
    f$levels <- I(if (!is.null(levels)) as.character(levels) else levels(x))
    if (is.ordered(x)) f$ordered <- TRUE
  } else if (is.logical(x)) {
    f$type <- "logical"
  } else if (is.integer(x)) {
    f$type <- "integer"
  } else if (is.numeric(x)) {
    f$type <- "numeric"
  } else {
    f$type <- "character"
  }
  if (f$type %in% c("numeric", "integer") && any(!is.na(x))) {
    f$min <- min(x, na.rm = TRUE)
    f$max <- max(x, na.rm = TRUE)
  }
  f
}

# A data frame of one placeholder row when there is no prototype: 0 for numbers, the first
# level for factors.
placeholder_frame <- function(features) {
  cols <- lapply(features, function(f) switch(f$type,
    factor = factor(f$levels[[1]], levels = f$levels, ordered = isTRUE(f$ordered)),
    logical = FALSE,
    integer = 0L,
    character = "",
    0
  ))
  names(cols) <- vapply(features, `[[`, "", "name")
  as.data.frame(cols, stringsAsFactors = FALSE)
}

features_from_model <- function(model) {
  names <- model_inputs(model)
  if (is.null(names)) stop("this model records no predictor names: describe it with a prototype")
  levels <- model_factor_levels(model)
  classes <- tryCatch(attr(stats::terms(model), "dataClasses"), error = function(e) NULL)
  frame <- model_member(model, "model")
  if (!is.data.frame(frame)) frame <- NULL
  lapply(names, function(n) {
    if (!is.null(frame) && n %in% names(frame)) return(feature_from_column(n, frame[[n]], levels[[n]]))
    if (!is.null(levels[[n]])) return(feature_from_column(n, factor(character()), levels[[n]]))
    cls <- if (!is.null(classes) && n %in% names(classes)) classes[[n]] else "numeric"
    list(name = n, type = if (identical(cls, "logical")) "logical" else "numeric")
  })
}

# Every prototype column but the response (named, or on the model's formula's left side).
non_response_columns <- function(model, prototype, response = NULL) {
  setdiff(names(prototype), c(response, model_response(model)))
}

# The named prototype columns as features, with the factor levels the model records.
prototype_features <- function(model, prototype, names) {
  levels <- model_factor_levels(model)
  lapply(names, function(n) feature_from_column(n, prototype[[n]], levels[[n]]))
}

features_from_prototype <- function(model, prototype, response = NULL) {
  names <- model_inputs(model, prototype)
  if (is.null(names) || !all(names %in% names(prototype))) names <- non_response_columns(model, prototype, response)
  prototype_features(model, prototype, names)
}

# Whether each feature accepts a missing value: score the example row with that feature set
# to NA and see whether the model still gives a prediction.
probe_nullable <- function(features, example, scorer) {
  lapply(features, function(f) {
    row <- example
    row[[f$name]][1] <- NA
    f$nullable <- tryCatch({
      pred <- quietly(scorer$fn(row, scorer$default_type))
      !anyNA(pred)
    }, error = function(e) FALSE)
    f
  })
}

# Each type's output (kind, classes) from scoring the example rows with a custom scorer.
describe_custom_outputs <- function(scorer, rows) {
  outs <- list()
  for (type in scorer$types) {
    values <- tryCatch(quietly(scorer$fn(rows, type)),
                       error = function(e) stop(sprintf("scoring the prototype with type '%s' failed: %s",
                                                        type, conditionMessage(e)), call. = FALSE))
    outs[[type]] <- output_kind(values)
  }
  outs
}

# A discovered type as model.json records it: its output, and how predict() is called.
output_entry <- function(trial) {
  call <- list(type = if (is.null(trial$spec$type)) NA else trial$spec$type)
  if (!is.null(trial$spec$field)) call$field <- trial$spec$field
  if (isTRUE(trial$spec$matrix)) call$newdata <- "matrix"
  c(trial$kind, list(call = call))
}

# The first rows with no missing value (up to EXAMPLE_ROWS), else the first row.
complete_rows <- function(frame, n = EXAMPLE_ROWS) {
  ok <- which(stats::complete.cases(frame))
  frame[if (length(ok)) utils::head(ok, n) else 1L, , drop = FALSE]
}

# The scorer and the output of each type: discovered through the model's adapter, or from
# score.R. `types` are types the publisher names (--types).
describe_scoring <- function(model, rows, score_path = NULL, types = NULL) {
  if (!is.null(score_path)) {
    scorer <- custom_scorer(score_path, model, types)
    return(list(scorer = scorer, outputs = describe_custom_outputs(scorer, rows)))
  }
  if (is.null(predict_method(model))) {
    stop(sprintf("no installed R package has a predict() method for a model of class %s: install the package that fitted it, or publish a score.R",
                 paste(class(model), collapse = "/")), call. = FALSE)
  }
  found <- tryCatch(discover_types(model, rows, declared = types), error = function(e) e)
  # A model fitted on a matrix (x, y) may predict only from one.
  if (inherits(found, "error") && all(vapply(rows, is.numeric, TRUE))) {
    found <- tryCatch(discover_types(model, rows, declared = types, matrix = TRUE), error = function(e) stop(found))
  }
  if (inherits(found, "error")) stop(found)
  specs <- lapply(found$types, `[[`, "spec")
  list(scorer = adapter_scorer(model, specs, found$default), outputs = lapply(found$types, output_entry))
}

# Example rows for the features: the prototype's, the model's own frame, or placeholders.
example_rows <- function(model, features, prototype) {
  names <- vapply(features, `[[`, "", "name")
  frame <- model_member(model, "model")
  rows <- if (!is.null(prototype)) {
    complete_rows(prototype[, names, drop = FALSE])
  } else if (is.data.frame(frame) && all(names %in% names(frame))) {
    complete_rows(frame[, names, drop = FALSE])
  } else {
    placeholder_frame(features)
  }
  coerce_frame(rows, features)
}

# A model's schema and scorer: list(schema, scorer). `namespaces` are packages the model's
# object refers to (read_model), recorded with its predict() method's. Should the inputs
# the model records not be enough to predict (a mixed model's grouping columns, say),
# every column of the prototype but the response is tried before giving up.
describe_model <- function(model, score_path = NULL, prototype = NULL, response = NULL, types = NULL,
                           namespaces = character()) {
  features <- if (is.null(prototype)) features_from_model(model) else features_from_prototype(model, prototype, response)
  rows <- example_rows(model, features, prototype)
  scoring <- tryCatch(describe_scoring(model, rows, score_path, types), error = function(e) e)
  wider <- if (is.null(prototype)) character() else non_response_columns(model, prototype, response)
  if (inherits(scoring, "error") && !all(wider %in% vapply(features, `[[`, "", "name"))) {
    features <- prototype_features(model, prototype, wider)
    rows <- example_rows(model, features, prototype)
    scoring <- tryCatch(describe_scoring(model, rows, score_path, types), error = function(e) stop(scoring))
  }
  if (inherits(scoring, "error")) stop(scoring)
  packages <- unique(c(predict_packages(model), namespaces))
  schema <- list(
    schemaVersion = SCHEMA_VERSION,
    modelClass = I(class(model)),
    packages = I(packages),
    packageVersions = package_versions(packages),
    features = probe_nullable(features, rows[1L, , drop = FALSE], scoring$scorer),
    output = list(defaultType = scoring$scorer$default_type, types = scoring$outputs),
    example = lapply(as.list(rows[1L, , drop = FALSE]), function(v) if (is.factor(v)) as.character(v) else v)
  )
  schema$profile <- reference_profile(features, prototype)
  list(schema = schema, scorer = scoring$scorer)
}

read_schema <- function(path) {
  schema <- jsonlite::fromJSON(path, simplifyVector = TRUE, simplifyDataFrame = FALSE)
  if (is.null(schema$features)) stop("model.json has no features")
  schema$features <- lapply(schema$features, function(f) {
    if (!is.null(f$levels)) f$levels <- I(as.character(unlist(f$levels)))
    f
  })
  schema
}

# model.json's text.
schema_json <- function(schema) {
  jsonlite::toJSON(schema, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null", na = "null")
}

# A one-row data frame of the schema's example, typed as the model expects.
schema_example <- function(schema) {
  if (is.null(schema$example)) return(placeholder_frame(schema$features))
  cols <- lapply(schema$example, function(v) if (is.null(v)) NA else v)
  coerce_columns(cols, schema$features, 1L)
}
