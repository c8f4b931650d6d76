# The input schema (model.json): feature names, types, factor levels, ranges seen, whether
# null is accepted, and the output of each prediction type. Written by describe.R from a
# model plus a prototype data frame; derived from the model alone when model.json is absent.

SCHEMA_VERSION <- 1L

# Predictor names the model itself records, or NULL when it records none.
model_feature_names <- function(model) {
  tt <- tryCatch(stats::terms(model), error = function(e) NULL)
  if (!is.null(tt)) return(all.vars(stats::delete.response(tt)))
  if (inherits(model, "ridgelm")) return(names(model$xm))
  if (inherits(model, "glmnet")) return(rownames(model$beta))
  if (inherits(model, "randomForest") && !is.null(model$importance)) return(rownames(model$importance))
  NULL
}

model_factor_levels <- function(model) {
  if (!is.null(model$xlevels)) return(model$xlevels)
  if (inherits(model, "randomForest") && !is.null(model$forest$xlevels)) {
    lv <- model$forest$xlevels
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

# A data frame of `n` placeholder rows when there is no prototype: 0 for numbers, the first
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
  names <- model_feature_names(model)
  if (is.null(names)) stop("this model records no predictor names: describe it with a prototype")
  levels <- model_factor_levels(model)
  classes <- tryCatch(attr(stats::terms(model), "dataClasses"), error = function(e) NULL)
  frame <- if (!is.null(model$model) && is.data.frame(model$model)) model$model else NULL
  lapply(names, function(n) {
    if (!is.null(frame) && n %in% names(frame)) return(feature_from_column(n, frame[[n]], levels[[n]]))
    if (!is.null(levels[[n]])) return(feature_from_column(n, factor(character()), levels[[n]]))
    cls <- if (!is.null(classes) && n %in% names(classes)) classes[[n]] else "numeric"
    list(name = n, type = if (identical(cls, "logical")) "logical" else "numeric")
  })
}

features_from_prototype <- function(model, prototype, response = NULL) {
  names <- model_feature_names(model)
  if (is.null(names) || !all(names %in% names(prototype))) {
    names <- setdiff(names(prototype), response)
  }
  levels <- model_factor_levels(model)
  lapply(names, function(n) feature_from_column(n, prototype[[n]], levels[[n]]))
}

# Whether each feature accepts a missing value: score the example row with that feature set
# to NA and see whether the model still gives a prediction.
probe_nullable <- function(features, example, scorer) {
  lapply(features, function(f) {
    row <- example
    row[[f$name]][1] <- NA
    f$nullable <- tryCatch({
      pred <- suppressWarnings(normalise_prediction(scorer$fn(row, scorer$default_type), 1L))
      !anyNA(pred)
    }, error = function(e) FALSE)
    f
  })
}

describe_outputs <- function(scorer, example) {
  outs <- list()
  for (type in scorer$types) {
    pred <- tryCatch(normalise_prediction(scorer$fn(example, type), nrow(example)),
                     error = function(e) stop(sprintf("scoring the prototype with type '%s' failed: %s",
                                                      type, conditionMessage(e))))
    outs[[type]] <- output_kind(pred)
  }
  outs
}

first_complete_row <- function(frame) {
  ok <- stats::complete.cases(frame)
  frame[if (any(ok)) which(ok)[1] else 1L, , drop = FALSE]
}

describe_model <- function(model, scorer, prototype = NULL, response = NULL) {
  features <- if (is.null(prototype)) features_from_model(model) else features_from_prototype(model, prototype, response)
  feature_names <- vapply(features, `[[`, "", "name")
  example <- if (!is.null(prototype)) {
    first_complete_row(prototype[, feature_names, drop = FALSE])
  } else if (!is.null(model$model) && all(feature_names %in% names(model$model))) {
    first_complete_row(model$model[, feature_names, drop = FALSE])
  } else {
    placeholder_frame(features)
  }
  example <- coerce_frame(example, features)
  list(
    schemaVersion = SCHEMA_VERSION,
    modelClass = I(class(model)),
    packages = I(model_packages(model)),
    features = probe_nullable(features, example, scorer),
    output = list(defaultType = scorer$default_type, types = describe_outputs(scorer, example)),
    example = lapply(as.list(example), function(v) if (is.factor(v)) as.character(v) else v)
  )
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

# A one-row data frame of the schema's example, typed as the model expects.
schema_example <- function(schema) {
  if (is.null(schema$example)) return(placeholder_frame(schema$features))
  cols <- lapply(schema$example, function(v) if (is.null(v)) NA else v)
  coerce_columns(cols, schema$features, 1L)
}
