# The input schema (model.json): feature names, types, factor levels, ranges seen, whether
# null is accepted, the packages the model needs, and each prediction type: its output and
# how predict() is called for it. Written by describe.R from a model plus a prototype data
# frame; derived from the model alone when model.json is absent.

SCHEMA_VERSION <- 2L
EXAMPLE_ROWS <- 5L

# Factor levels the model records for its inputs (as a member, or an attribute: rpart's).
model_factor_levels <- function(model) {
  xlevels <- model_member(model, "xlevels")
  if (is.null(xlevels) && !isS4(model)) xlevels <- attr(model, "xlevels", exact = TRUE)
  if (is.list(xlevels)) return(xlevels)
  forest <- model_member(model, "forest")
  if (inherits(model, "randomForest") && !is.null(forest$xlevels)) {
    lv <- forest$xlevels
    return(lv[vapply(lv, is.character, TRUE)])
  }
  list()
}

# A feature from a column of the training data. A character column stays "character" here:
# describe_model gives it levels when the model took it as a category. Dates, date-times
# and durations carry their range as JSON shows them (time_inputs.R).
feature_from_column <- function(name, x, levels = NULL) {
  f <- list(name = name)
  if (is.factor(x) || (!is.null(levels) && !is.character(x))) {
    f$type <- "factor"
    f$levels <- I(if (!is.null(levels)) as.character(levels) else levels(x))
    if (is.ordered(x)) f$ordered <- TRUE
  } else if (inherits(x, "Date")) {
    f$type <- "date"
  } else if (inherits(x, "POSIXt")) {
    x <- as.POSIXct(x)
    f$type <- "datetime"
    f$timezone <- column_timezone(x)
  } else if (inherits(x, "difftime")) {
    f$type <- "difftime"
    f$units <- units(x)
  } else if (is.logical(x)) {
    f$type <- "logical"
  } else if (is.integer(x)) {
    f$type <- "integer"
  } else if (is.numeric(x)) {
    f$type <- "numeric"
  } else {
    f$type <- "character"
  }
  if (f$type %in% c("numeric", "integer", "date", "datetime", "difftime") && any(!is.na(x))) {
    f$min <- time_json_value(min(x, na.rm = TRUE))
    f$max <- time_json_value(max(x, na.rm = TRUE))
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
    character = if (length(f$levels)) factor(f$levels[[1]], levels = f$levels) else "",
    date = structure(0, class = "Date"),
    datetime = .POSIXct(0, tz = feature_timezone(f)),
    difftime = as_difftime_units(0, f$units),
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

# The classes the model's terms record for its variables ("numeric", "factor", "character",
# "other"...), NULL when it has none.
model_data_classes <- function(model) {
  classes <- tryCatch(attr(stats::terms(model), "dataClasses"), error = function(e) NULL)
  if (is.character(classes) && !is.null(names(classes))) classes else NULL
}

# Character features the model took as categories (its terms say so, or it recorded their
# levels) get the levels it was trained on: the recorded ones, else the training values'.
# Scored as factors with those levels, one row predicts as many do. Not for a score.R,
# which is given the strings.
categorical_characters <- function(features, model, data, score_path = NULL) {
  if (!is.null(score_path)) return(features)
  levels <- model_factor_levels(model)
  classes <- model_data_classes(model)
  lapply(features, function(f) {
    n <- f$name
    categorical <- !is.null(levels[[n]]) || isTRUE(unname(classes[n]) %in% c("character", "factor", "ordered"))
    if (!identical(f$type, "character") || !categorical) return(f)
    seen <- if (!is.null(levels[[n]])) levels[[n]] else if (!is.null(data[[n]])) levels(as.factor(data[[n]]))
    if (length(seen)) f$levels <- I(as.character(seen))
    f
  })
}

# Integer features the model uses as any number become "numeric": the example rows with
# fractions added to the column still give a value for each row, and the model's terms say
# "numeric" for it (R's model frame treats integers and doubles alike) or, for a model
# without terms or with a score.R, the rows score the same with the column as doubles.
# (A formula with both x and factor(x) needs integers.) `rows` are the typed rows.
numeric_integers <- function(features, rows, scorer, model) {
  classes <- if (isTRUE(scorer$custom)) NULL else model_data_classes(model)
  type <- scorer$default_type
  score <- function(newdata) tryCatch(quietly(scorer$fn(newdata, type)), error = function(e) NULL)
  base <- NULL
  lapply(features, function(f) {
    if (!identical(f$type, "integer")) return(f)
    if (is.null(base)) base <<- score(rows)
    if (is.null(base)) return(f)
    doubles <- rows
    doubles[[f$name]] <- as.double(rows[[f$name]])
    fractions <- doubles
    fractions[[f$name]] <- doubles[[f$name]] + 0.5
    shifted <- score(fractions)
    if (is.null(shifted) || !identical(is.na(shifted), is.na(base))) return(f)
    if (identical(unname(classes[f$name]), "numeric") || identical(score(doubles), base)) f$type <- "numeric"
    f
  })
}

# The typed rows with each feature's column as that feature's type now is.
retype_rows <- function(rows, features) {
  for (f in features) if (identical(f$type, "numeric")) rows[[f$name]] <- as.double(rows[[f$name]])
  rows
}

# A value of the example row as JSON shows it.
example_value <- function(v) if (is.factor(v)) as.character(v) else time_json_value(v)

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
# score.R. `types` are types the publisher names (--types); the features' levels make the
# padding rows for a model that needs every level present (complete_levels.R).
describe_scoring <- function(model, rows, score_path = NULL, types = NULL, features = NULL) {
  if (!is.null(score_path)) {
    scorer <- custom_scorer(score_path, model, types)
    return(list(scorer = scorer, outputs = describe_custom_outputs(scorer, rows)))
  }
  if (is.null(predict_method(model))) {
    stop(sprintf("no installed R package has a predict() method for a model of class %s: install the package that fitted it, or publish a score.R",
                 paste(class(model), collapse = "/")), call. = FALSE)
  }
  padding <- level_padding(rows[1L, , drop = FALSE], features)
  found <- tryCatch(discover_types(model, rows, declared = types, padding = padding), error = function(e) e)
  # A model fitted on a matrix (x, y) may predict only from one.
  if (inherits(found, "error") && all(vapply(rows, is.numeric, TRUE))) {
    found <- tryCatch(discover_types(model, rows, declared = types, matrix = TRUE), error = function(e) stop(found))
  }
  if (inherits(found, "error")) stop(found)
  specs <- lapply(found$types, `[[`, "spec")
  list(scorer = adapter_scorer(model, specs, found$default, found$padding), outputs = lapply(found$types, output_entry))
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

# The inputs the model records (its formula's variables, a forest's names...) that the
# prototype has no column for.
lacking_columns <- function(model, prototype) {
  if (is.null(prototype)) return(character())
  inputs <- tryCatch(model_inputs(model), error = function(e) NULL)
  if (is.null(inputs)) inputs <- tryCatch(all.vars(stats::delete.response(stats::terms(model))), error = function(e) NULL)
  setdiff(inputs, c(names(prototype), "."))
}

lacking_columns_message <- function(lacking) {
  shown <- paste0("'", utils::head(lacking, 10L), "'")
  shown <- if (length(lacking) > 10L) sprintf("%s and %d more", paste(shown, collapse = ", "), length(lacking) - 10L)
           else if (length(shown) > 1L) paste(paste(shown[-length(shown)], collapse = ", "), "and", shown[length(shown)])
           else shown
  sprintf("the prototype lacks the column%s %s, which the model uses: give a prototype with every column the model was fitted on (the training data, or a sample of it)",
          if (length(lacking) > 1L) "s" else "", shown)
}

# A model's schema and scorer: list(schema, scorer). `namespaces` are packages the model's
# object refers to (read_model), recorded with its predict() method's. Should the inputs
# the model records not be enough to predict (a mixed model's grouping columns, say),
# every column of the prototype but the response is tried before giving up.
describe_model <- function(model, score_path = NULL, prototype = NULL, response = NULL, types = NULL,
                           namespaces = character()) {
  prototype <- prototype_time_columns(model, prototype)
  data <- if (is.null(prototype)) model_member(model, "model") else prototype
  features <- if (is.null(prototype)) features_from_model(model) else features_from_prototype(model, prototype, response)
  features <- categorical_characters(features, model, data, score_path)
  rows <- example_rows(model, features, prototype)
  scoring <- tryCatch(describe_scoring(model, rows, score_path, types, features), error = function(e) e)
  wider <- if (is.null(prototype)) character() else non_response_columns(model, prototype, response)
  if (inherits(scoring, "error") && !all(wider %in% vapply(features, `[[`, "", "name"))) {
    features <- categorical_characters(prototype_features(model, prototype, wider), model, data, score_path)
    rows <- example_rows(model, features, prototype)
    scoring <- tryCatch(describe_scoring(model, rows, score_path, types, features), error = function(e) scoring)
  }
  if (inherits(scoring, "error")) {
    # R's reason names a column the prototype lacks ("object 'hp' not found"): say so,
    # rather than advise a score.R or --types.
    lacking <- lacking_columns(model, prototype)
    named <- lacking[vapply(lacking, function(n) grepl(n, conditionMessage(scoring), fixed = TRUE), TRUE)]
    if (length(named)) stop(lacking_columns_message(lacking), call. = FALSE)
    stop(scoring)
  }
  features <- numeric_integers(features, rows, scoring$scorer, model)
  rows <- retype_rows(rows, features)
  packages <- model_packages(model, namespaces, score_path)
  schema <- list(
    schemaVersion = SCHEMA_VERSION,
    modelClass = I(class(model)),
    packages = I(packages),
    packageVersions = package_versions(packages),
    features = probe_nullable(features, rows[1L, , drop = FALSE], scoring$scorer),
    output = list(defaultType = scoring$scorer$default_type, types = scoring$outputs),
    example = lapply(as.list(rows[1L, , drop = FALSE]), example_value)
  )
  if (isTRUE(scoring$scorer$complete_levels)) schema$completeLevels <- TRUE
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
