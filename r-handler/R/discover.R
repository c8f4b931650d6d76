# Which prediction types a model offers, found at publish by trying each of its adapter's
# types on example rows (several, and the first alone: one-row requests are the common
# case) and keeping those that give one usable value per row. A type whose output is the
# same as another's is kept only when the model's predict() method declares it (so glm's
# "link" and "response" both stay for a gaussian family), never when predict() merely
# ignored the argument. What predict() gives with no type is always offered: as a type
# named like the first argument value that gives it, or, for a list, one type per member;
# several named numbers per row only when the model gives nothing else. A model whose
# predict() needs every level of its categorical inputs in the rows is tried again with
# padding rows that hold them (complete_levels.R).

USABLE_KINDS <- c("numeric", "class", "logical", "probabilities")

quietly <- function(expr) {
  out <- NULL
  utils::capture.output(out <- suppressWarnings(suppressMessages(expr)))
  out
}

# One type tried on the rows: its values and output kind, or the error's message (with
# what predict() returned, if it returned something unusable). An error from the first row
# alone, when the rows together scored, is marked `one_row`. With `padding` (see
# complete_levels.R) every call is padded, and the type must give each row alone what it
# gives among the others, and what predict() gives unpadded when that works.
try_type <- function(model, rows, spec, padding = NULL) {
  raw <- NULL
  run <- function(newdata, padding) {
    n <- nrow(newdata)
    if (!is.null(padding)) newdata <- pad_rows(newdata, padding)
    raw <<- quietly(adapter_predict(model, newdata, spec))
    values <- prediction_values(raw, nrow(newdata))
    kind <- output_kind(values, if (is.list(raw) && !is.data.frame(raw)) NULL else raw)
    list(raw = raw, values = take_rows(values, seq_len(n)), kind = kind)
  }
  alone <- FALSE
  tryCatch({
    many <- run(rows, padding)
    if (is.null(padding)) {
      if (nrow(rows) > 1L) {
        alone <- TRUE
        one <- run(rows[1L, , drop = FALSE], NULL)
        if (!identical(one$kind, many$kind)) stop("one row gives a different kind of output than several")
        alone <- FALSE
      }
    } else {
      check_padded(many, rows, function(newdata) run(newdata, padding), function(newdata) run(newdata, NULL))
    }
    if (all(is.na(many$values))) stop("every prediction is NA")
    many$spec <- spec
    many
  }, error = function(e) list(error = conditionMessage(e), spec = spec, raw = raw, one_row = alone))
}

# A padded trial holds for each row alone and leaves predict()'s own answer unchanged.
check_padded <- function(many, rows, padded, plain) {
  for (i in seq_len(nrow(rows))) {
    one <- padded(rows[i, , drop = FALSE])
    if (!identical(one$kind, many$kind) || !identical(one$values, take_rows(many$values, i))) {
      stop("a row scored alone gives another prediction than among several, even with every level present")
    }
  }
  unpadded <- tryCatch(plain(rows)$values, error = function(e) NULL)
  if (!is.null(unpadded) && !identical(unpadded, many$values)) stop("the padding rows change the predictions")
}

# Type names that promise class labels, and class probabilities.
CLASS_TYPES <- c("class", "classes")
PROBABILITY_TYPES <- c("prob", "probs", "probability", "probabilities", "posterior", "vote", "votes")

# Whether a type gives what its name promises: labels (or logicals) for "class", and for
# "prob" probabilities (or numbers within [0, 1], one class's probability). A regression
# model's predict() that accepts type = "class" and returns the numbers anyway is not
# offering classes.
fits_name <- function(name, trial) {
  kind <- trial$kind$kind
  if (name %in% CLASS_TYPES) return(kind %in% c("class", "logical"))
  if (name %in% PROBABILITY_TYPES) {
    return(kind == "probabilities" || (kind == "numeric" && all(trial$values >= 0 & trial$values <= 1, na.rm = TRUE)))
  }
  TRUE
}

usable <- function(trial, kinds = USABLE_KINDS) {
  is.null(trial$error) && trial$kind$kind %in% kinds && fits_name(trial$spec$name, trial)
}

same_values <- function(a, b) is.null(a$error) && is.null(b$error) && identical(a$values, b$values)

# The members of a list prediction that each give one usable value per row, as types.
# A member that gives back one of the rows' own input columns (smooth.spline's predict()
# returns list(x, y), x being the input) is no prediction.
field_types <- function(try_spec, raw, rows, matrix = FALSE) {
  fields <- c(intersect(PREDICTION_FIELDS, names(raw)), setdiff(names(raw), PREDICTION_FIELDS))
  trials <- lapply(fields[nzchar(fields)], function(f) try_spec(type_spec(f, type = NULL, field = f, matrix = matrix)))
  Filter(function(t) usable(t) && !echoes_input(t$values, rows), trials)
}

echoes_input <- function(values, rows) {
  if (!is.numeric(values) || !is.null(dim(values))) return(FALSE)
  any(vapply(rows, function(col) is.numeric(col) && isTRUE(all.equal(as.double(col), as.double(values), tolerance = 0)), TRUE))
}

# The types a model offers, as list(types = named list of trials (spec, values, kind),
# default = the default type's name, padding). `declared` are types the publisher names
# (--types): kept whatever they give, and refused with R's message when they fail. When
# the rows fail, or some type fails on one row alone, the types are tried again with
# `padding` (complete_levels.R); that is kept when it offers more, and then every call is
# padded.
discover_types <- function(model, rows, declared = character(), matrix = FALSE, padding = NULL) {
  found <- tryCatch(discover_with(model, rows, declared, matrix), error = function(e) e)
  if (is.null(padding) || !(inherits(found, "error") || isTRUE(found$one_row))) {
    if (inherits(found, "error")) stop(found)
    return(found[c("types", "default")])
  }
  padded <- tryCatch(discover_with(model, rows, declared, matrix, padding), error = function(e) NULL)
  more <- !is.null(padded) && (inherits(found, "error") ||
    (all(names(found$types) %in% names(padded$types)) && length(padded$types) > length(found$types)))
  if (!more) {
    if (inherits(found, "error")) stop(found)
    return(found[c("types", "default")])
  }
  list(types = padded$types, default = padded$default, padding = padding)
}

# discover_types for rows scored as they are, or with padding; `one_row` says whether some
# type failed on one row alone.
discover_with <- function(model, rows, declared, matrix, padding = NULL) {
  one_row <- FALSE
  try_spec <- function(spec) {
    trial <- try_type(model, rows, spec, padding)
    if (isTRUE(trial$one_row)) one_row <<- TRUE
    trial
  }
  plain <- try_spec(type_spec("response", type = NULL, declared = FALSE, matrix = matrix))
  kept <- list()
  stand_in <- NULL
  tried <- list()
  for (spec in adapter_types(model)) {
    if (spec$name %in% names(kept)) next
    spec$matrix <- matrix
    trial <- try_spec(spec)
    tried[[spec$name]] <- trial
    if (!usable(trial)) next
    if (!spec$declared) {
      if (any(vapply(kept, same_values, TRUE, trial))) next
      if (same_values(trial, plain)) {
        if (is.null(stand_in)) stand_in <- trial
        next
      }
    }
    kept[[spec$name]] <- trial
  }
  if (!any(vapply(kept, same_values, TRUE, plain))) {
    if (is.list(plain$raw) && !is.data.frame(plain$raw)) {
      for (t in field_types(try_spec, plain$raw, rows, matrix)) if (is.null(kept[[t$spec$name]])) kept[[t$spec$name]] <- t
    } else if (!is.null(stand_in)) {
      kept <- c(stats::setNames(list(stand_in), stand_in$spec$name), kept)
    } else if (usable(plain)) {
      name <- if (is.null(kept$response)) "response" else "default"
      plain$spec$name <- name
      kept <- c(stats::setNames(list(plain), name), kept)
    }
  }
  # A model whose only prediction is several named numbers per row (a PCA's scores) offers them.
  if (length(kept) == 0L && is.null(plain$error) && identical(plain$kind$kind, "values")) kept$response <- plain
  for (name in declared) {
    trial <- try_spec(type_spec(name, matrix = matrix))
    if (!is.null(trial$error)) stop(sprintf("prediction type '%s' failed on the example rows: %s", name, trial$error))
    kept[[name]] <- trial
  }
  if (length(kept) == 0L) stop(no_types_message(plain, tried))
  list(types = kept, default = default_type(kept, plain), one_row = one_row)
}

# "response" when offered; else the type that gives what predict() gives by default.
default_type <- function(kept, plain) {
  if (!is.null(kept$response)) return("response")
  for (name in names(kept)) if (same_values(kept[[name]], plain)) return(name)
  names(kept)[[1L]]
}

no_types_message <- function(plain, tried) {
  why <- if (!is.null(plain$error)) plain$error else sprintf("it gives %s output", plain$kind$kind)
  declared <- Filter(function(t) isTRUE(t$spec$declared) && !is.null(t$error), tried)
  more <- if (length(declared)) paste0("; ", paste(sprintf("type '%s': %s", names(declared), vapply(declared, `[[`, "", "error")), collapse = "; ")) else ""
  sprintf("no prediction type of this model gives one value per row: predict() failed or is unusable (%s%s). Publish a score.R, or name the types with --types", why, more)
}
