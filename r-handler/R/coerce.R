# Turning parsed JSON columns into the data frame the model was trained on: numeric vs
# integer, factors (and characters the model took as categories) with the training levels,
# logicals, dates, date-times in their time zone, durations in their units; nulls only
# where the schema allows.

MAX_ROWS_REPORTED <- 10L

# A value the model needs that is absent or null (jsonlite drops NA fields).
MISSING_MESSAGE <- "is missing or NA; this model cannot score without it"
DATE_MESSAGE <- "must be a date (YYYY-MM-DD)"
DATETIME_MESSAGE <- "must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)"

levels_message <- function(levels) {
  sprintf("is not one of the levels seen in training: %s", paste(levels, collapse = ", "))
}

columns_pointer <- function(field, row) {
  if (is.null(row)) sprintf("/columns/%s", field) else sprintf("/columns/%s/%d", field, row)
}

bad_rows_error <- function(field, rows, message, pointer) {
  rows <- utils::head(rows, MAX_ROWS_REPORTED)
  lapply(rows - 1L, function(r) field_error(field, message, row = r, pointer = pointer(field, r)))
}

coerce_feature <- function(x, f, pointer) {
  name <- f$name
  if (is.list(x)) {
    bad <- which(lengths(x) != 1L | vapply(x, is.list, TRUE))
    if (length(bad) == 0) bad <- 1L
    return(list(errors = bad_rows_error(name, bad, "must be a single value", pointer)))
  }
  missing <- is.na(x)
  type_error <- function(message, rows = which(!missing)) {
    if (length(rows) == 0) rows <- 1L
    list(errors = bad_rows_error(name, rows, message, pointer))
  }
  if (all(missing)) x <- rep(NA, length(x))
  value <- switch(f$type,
    numeric = {
      if (is.logical(x) && !all(missing)) return(type_error("must be a number"))
      if (is.character(x)) return(type_error("must be a number", which(!missing & is.na(suppressWarnings(as.numeric(x))))))
      as.double(x)
    },
    integer = {
      if (is.logical(x) && !all(missing)) return(type_error("must be an integer"))
      if (is.character(x)) return(type_error("must be an integer", which(!missing & is.na(suppressWarnings(as.numeric(x))))))
      whole <- missing | (is.finite(x) & x == round(x) & abs(x) <= .Machine$integer.max)
      if (!all(whole)) return(type_error("must be an integer", which(!whole)))
      as.integer(x)
    },
    factor = {
      if (is.logical(x) && !all(missing)) return(type_error("must be a string"))
      if (is.numeric(x)) x <- ifelse(missing, NA_character_, as.character(x))
      unseen <- !missing & !(x %in% f$levels)
      if (any(unseen)) return(type_error(levels_message(f$levels), which(unseen)))
      factor(x, levels = f$levels, ordered = isTRUE(f$ordered))
    },
    logical = {
      if (!is.logical(x)) return(type_error("must be true or false"))
      x
    },
    character = {
      if (!(is.character(x) || all(missing))) return(type_error("must be a string"))
      if (length(f$levels) == 0L) as.character(x) else {
        unseen <- !missing & !(x %in% f$levels)
        if (any(unseen)) return(type_error(levels_message(f$levels), which(unseen)))
        factor(x, levels = f$levels)
      }
    },
    date = {
      if (inherits(x, "Date")) x else {
        if (!(is.character(x) || all(missing))) return(type_error(DATE_MESSAGE))
        d <- parse_iso_date(x)
        if (any(!missing & is.na(d))) return(type_error(DATE_MESSAGE, which(!missing & is.na(d))))
        d
      }
    },
    datetime = {
      tz <- feature_timezone(f)
      if (inherits(x, "POSIXt")) .POSIXct(unclass(as.POSIXct(x)), tz = tz) else {
        if (!(is.character(x) || all(missing))) return(type_error(DATETIME_MESSAGE))
        t <- parse_iso_datetime(x, tz)
        if (any(!missing & is.na(t))) return(type_error(DATETIME_MESSAGE, which(!missing & is.na(t))))
        t
      }
    },
    difftime = {
      if (inherits(x, "difftime")) units(x) <- f$units
      else if (is.character(x)) {
        return(type_error(sprintf("must be a number (of %s)", f$units), which(!missing & is.na(suppressWarnings(as.numeric(x))))))
      } else if (is.logical(x) && !all(missing)) return(type_error(sprintf("must be a number (of %s)", f$units)))
      as_difftime_units(unclass(x), f$units)
    },
    stop(sprintf("unknown feature type '%s' in the schema", f$type))
  )
  if (!isTRUE(f$nullable) && any(missing)) {
    return(list(errors = bad_rows_error(name, which(missing), MISSING_MESSAGE, pointer)))
  }
  list(value = value)
}

# Columns (a named list of vectors, n rows) to a typed data frame, or a 422 naming every bad
# field and its first rows. Fields the schema does not name are ignored here.
coerce_columns <- function(columns, features, n, pointer = columns_pointer) {
  errors <- list()
  out <- vector("list", length(features))
  for (i in seq_along(features)) {
    f <- features[[i]]
    x <- columns[[f$name]]
    if (is.null(x)) {
      errors <- c(errors, list(field_error(f$name, MISSING_MESSAGE, pointer = pointer(f$name, NULL))))
      next
    }
    if (length(x) != n) {
      errors <- c(errors, list(field_error(f$name, sprintf("has %d values for %d rows", length(x), n),
                                           pointer = pointer(f$name, NULL))))
      next
    }
    res <- coerce_feature(x, f, pointer)
    if (!is.null(res$errors)) errors <- c(errors, res$errors) else out[[i]] <- res$value
  }
  if (length(errors) > 0) {
    fields <- unique(vapply(errors, `[[`, "", "field"))
    abort_scoring(422L, "invalid_input",
                  sprintf("%d value(s) do not match the model's input schema (fields: %s).",
                          length(errors), paste(fields, collapse = ", ")), errors)
  }
  names(out) <- vapply(features, `[[`, "", "name")
  structure(out, class = "data.frame", row.names = .set_row_names(n))
}

# A prototype data frame typed by the schema (used when describing a model).
coerce_frame <- function(frame, features) {
  cols <- lapply(features, function(f) {
    v <- frame[[f$name]]
    if (is.factor(v)) as.character(v) else v
  })
  names(cols) <- vapply(features, `[[`, "", "name")
  relaxed <- lapply(features, function(f) { f$nullable <- TRUE; f })
  coerce_columns(cols, relaxed, nrow(frame))
}
