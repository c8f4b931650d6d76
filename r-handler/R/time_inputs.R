# Dates, date-times and durations as model inputs. In JSON a Date is an ISO 8601 calendar
# date ("2024-02-15"), a POSIXct an ISO 8601 date-time ("2024-02-15T10:30:00Z", an offset
# "+01:00" or "+0100", a space for the "T", optional seconds and fraction; with no offset
# the time is read in the input's time zone), a difftime a number in its units. Parsed
# here rather than by strptime, whose %z takes no "+01:00" in R 4.2.

ISO_DATE <- "^([0-9]{4})-([0-9]{2})-([0-9]{2})$"
ISO_DATETIME <- "^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})([.][0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"

# Whether a column is a date, a date-time or a duration.
is_time_column <- function(x) inherits(x, c("Date", "POSIXt", "difftime"))

# The time zone a POSIXct is shown in: its tzone attribute, "UTC" when absent or empty.
column_timezone <- function(x) {
  tz <- attr(x, "tzone")
  if (is.null(tz) || !nzchar(tz[[1L]])) "UTC" else tz[[1L]]
}

# The time zone a datetime feature is read in.
feature_timezone <- function(f) if (is.null(f$timezone) || !nzchar(f$timezone)) "UTC" else f$timezone

# Dates from "YYYY-MM-DD" strings; NA for anything else (2024-02-30 included).
parse_iso_date <- function(x) {
  out <- rep(NA_real_, length(x))
  ok <- !is.na(x) & grepl(ISO_DATE, x)
  if (any(ok)) {
    parsed <- as.Date(x[ok], format = "%Y-%m-%d", optional = TRUE)
    parsed[!is.na(parsed) & format(parsed, "%Y-%m-%d") != x[ok]] <- NA
    out[ok] <- unclass(parsed)
  }
  structure(out, class = "Date")
}

# Seconds of a UTC offset ("Z", "+01:00", "-0530"); NA for an out-of-range one.
offset_seconds <- function(offset) {
  out <- rep(0, length(offset))
  signed <- offset != "Z"
  digits <- gsub(":", "", substring(offset[signed], 2L), fixed = TRUE)
  hours <- as.integer(substr(digits, 1L, 2L))
  minutes <- as.integer(substr(digits, 3L, 4L))
  secs <- ifelse(hours <= 23L & minutes <= 59L, (hours * 60 + minutes) * 60, NA_real_)
  out[signed] <- ifelse(startsWith(offset[signed], "-"), -secs, secs)
  out
}

# POSIXct in `timezone` from ISO 8601 date-time strings; NA for anything else.
parse_iso_datetime <- function(x, timezone = "UTC") {
  out <- rep(NA_real_, length(x))
  ok <- which(!is.na(x) & grepl(ISO_DATETIME, x))
  if (length(ok)) {
    m <- regmatches(x[ok], regexec(ISO_DATETIME, x[ok]))
    part <- function(i) vapply(m, `[[`, "", i)
    day <- parse_iso_date(part(2L))
    hour <- as.integer(part(3L))
    minute <- as.integer(part(4L))
    second <- as.integer(part(6L))
    second[is.na(second)] <- 0L
    # The fraction of the seconds as as.POSIXct() takes it: "05.25" less 5.
    fraction <- as.numeric(paste0(second, part(7L))) - second
    offset <- part(8L)
    valid <- !is.na(day) & hour <= 23L & minute <= 59L & second <= 59L
    whole <- rep(NA_real_, length(ok))
    zoned <- valid & nzchar(offset)
    whole[zoned] <- unclass(day[zoned]) * 86400 + hour[zoned] * 3600 + minute[zoned] * 60 + second[zoned] -
      offset_seconds(offset[zoned])
    local <- valid & !nzchar(offset)
    if (any(local)) {
      text <- sprintf("%s %02d:%02d:%02d", format(day[local], "%Y-%m-%d"), hour[local], minute[local], second[local])
      secs <- unclass(as.POSIXct(text, tz = timezone, format = "%Y-%m-%d %H:%M:%S"))
      # A time the zone skips (a daylight-saving gap) is no time there.
      shown <- format(.POSIXct(secs, tz = timezone), "%Y-%m-%d %H:%M:%S")
      secs[is.na(shown) | shown != text] <- NA
      whole[local] <- secs
    }
    out[ok] <- whole + fraction
  }
  .POSIXct(out, tz = timezone)
}

# Durations of a number of `units` as a difftime.
as_difftime_units <- function(x, units) structure(as.double(x), units = units, class = "difftime")

format_iso_date <- function(x) format(x, "%Y-%m-%d")

# ISO 8601 in UTC, "2024-02-15T15:30:00Z", with the fraction of a second to the microsecond
# when there is one.
format_iso_datetime <- function(x) {
  micros <- round(unclass(as.POSIXct(x)) * 1e6)
  whole <- floor(micros / 1e6)
  fraction <- micros - whole * 1e6
  text <- format(.POSIXct(whole, tz = "UTC"), "%Y-%m-%dT%H:%M:%S")
  frac <- ifelse(fraction > 0, sub("0+$", "", sprintf(".%06.0f", fraction)), "")
  out <- paste0(text, frac, "Z")
  out[is.na(x)] <- NA_character_
  out
}

# A time input as JSON shows it: a date or date-time string, a difftime's number.
time_json_value <- function(x) {
  if (inherits(x, "Date")) return(format_iso_date(x))
  if (inherits(x, "POSIXt")) return(format_iso_datetime(x))
  if (inherits(x, "difftime")) return(as.double(unclass(x)))
  x
}

# A time input as the number the reference profile bins: days since 1970-01-01 for a Date,
# seconds since the epoch for a POSIXct, the number in its units for a difftime.
time_number <- function(x) {
  if (inherits(x, "POSIXlt")) x <- as.POSIXct(x)
  as.double(unclass(x))
}

# The model's own frame's column for an input (lm and glm keep one), else NULL.
model_frame_column <- function(model, name) {
  frame <- model_member(model, "model")
  if (is.data.frame(frame) && name %in% names(frame)) frame[[name]] else NULL
}

# A prototype's columns read from CSV as the dates, date-times or durations the model was
# fitted on: where its own frame holds a Date, POSIXct or difftime (whose time zone or units
# the column takes), or its terms' dataClasses say "other" for text that is all ISO dates
# or all date-times (then read in UTC). Text that does not parse stays as it is.
prototype_time_columns <- function(model, prototype) {
  if (is.null(prototype)) return(prototype)
  classes <- model_data_classes(model)
  for (n in names(prototype)) {
    x <- prototype[[n]]
    if (inherits(x, "POSIXlt")) prototype[[n]] <- as.POSIXct(x)
    if (is_time_column(x)) next
    fitted <- model_frame_column(model, n)
    if (!is_time_column(fitted) && !identical(unname(classes[n]), "other")) next
    if (inherits(fitted, "difftime")) {
      if (is.numeric(x)) prototype[[n]] <- as_difftime_units(x, units(fitted))
      next
    }
    if (!(is.factor(x) || is.character(x))) next
    text <- as.character(x)
    text[!is.na(text) & !nzchar(text)] <- NA
    if (all(is.na(text))) next
    dates <- parse_iso_date(text)
    if (!inherits(fitted, "POSIXt") && identical(is.na(dates), is.na(text))) {
      prototype[[n]] <- dates
      next
    }
    if (inherits(fitted, "Date")) next
    # write.csv gives a date-time at midnight as its date alone.
    midnight <- !is.na(dates)
    text[midnight] <- paste(text[midnight], "00:00")
    times <- parse_iso_datetime(text, if (inherits(fitted, "POSIXt")) column_timezone(fitted) else "UTC")
    if (identical(is.na(times), is.na(text))) prototype[[n]] <- times
  }
  prototype
}
