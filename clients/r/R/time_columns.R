# Dates, date-times and time differences as the app takes them: a Date as "YYYY-MM-DD",
# a POSIXct as ISO 8601 in UTC ending in "Z" (the instant, whatever time zone the column
# is shown in: never R's local text without an offset), a difftime as its number in the
# units the model's schema gives for it.

# "YYYY-MM-DD" for each date (NA stays NA).
iso_dates <- function(x) {
  out <- rep(NA_character_, length(x))
  ok <- is.finite(unclass(x))
  if (!any(ok)) return(out)
  lt <- as.POSIXlt(as.Date(x[ok]), tz = "UTC")
  out[ok] <- sprintf("%04d-%02d-%02d", lt$year + 1900L, lt$mon + 1L, lt$mday)
  out
}

# "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" for each instant (NA stays NA): whole seconds exactly,
# fractions to the microsecond.
iso_instants <- function(x) {
  secs <- as.numeric(as.POSIXct(x))
  out <- rep(NA_character_, length(secs))
  ok <- is.finite(secs)
  if (!any(ok)) return(out)
  whole <- floor(secs[ok])
  micro <- round((secs[ok] - whole) * 1e6)
  carry <- micro >= 1e6
  whole[carry] <- whole[carry] + 1
  micro[carry] <- 0
  lt <- as.POSIXlt(.POSIXct(whole, tz = "UTC"))
  fraction <- ifelse(micro > 0, sub("0+$", "", sprintf(".%06d", as.integer(micro))), "")
  out[ok] <- paste0(sprintf("%04d-%02d-%02dT%02d:%02d:%02d", lt$year + 1900L, lt$mon + 1L, lt$mday,
                            lt$hour, lt$min, as.integer(floor(lt$sec))), fraction, "Z")
  out
}

# A Date, POSIXt or difftime column as the app's text or number (others: NULL).
time_column <- function(col) {
  if (inherits(col, "Date")) return(iso_dates(col))
  if (inherits(col, "POSIXt")) return(iso_instants(col))
  if (inherits(col, "difftime")) return(as.numeric(col))
  NULL
}

# The rows with each difftime column in the units the model's schema gives it (a model
# trained on days is sent days, whatever units the column has). The schema is the version's
# description: of `model` at `version` (its production alias, else latest), or, for the
# app's default model, of the model and version that answer a first row.
difftimes_in_schema_units <- function(endpoint, rows, model = NULL, version = NULL) {
  cols <- names(rows)[vapply(rows, inherits, NA, what = "difftime")]
  if (length(cols) == 0L) return(rows)
  desc <- route_description(endpoint, rows, model, version)
  for (f in desc$features) {
    if (!identical(f$type, "difftime") || !(f$name %in% cols) || is.null(f$units)) next
    rows[[f$name]] <- as.numeric(rows[[f$name]], units = as.character(f$units))
  }
  rows
}

# The description of the version a scoring route serves.
route_description <- function(endpoint, rows, model, version) {
  if (!is.null(model)) return(model_description(endpoint, model, or_else(version, default_version(endpoint, model))))
  # The app's default model: its name and version come with an answer, or with a refusal.
  probe <- tryCatch(score_chunk(endpoint, score_path(), rows[1L, , drop = FALSE], NULL, FALSE, 0L)[[1L]]$model,
                    rscoring_invalid_input = function(e) e$model)
  if (is.null(probe$name) || is.null(probe$version)) stop("The app did not say which model it scores with.", call. = FALSE)
  model_description(endpoint, probe$name, probe$version)
}
