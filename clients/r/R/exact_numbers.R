# Doubles written and read so that they arrive as the very same doubles.
#
# jsonlite::toJSON() writes at most 15 significant digits whatever `digits` says (NA, I(17)
# included), which changes about nine doubles in ten that carry more; R's own
# as.numeric()/read.csv() parse long decimal strings slightly off in rare cases. So doubles
# are written with the shortest of 15, 16 or 17 significant digits that reads back as the
# same double, checked (and results are read) with jsonlite's parser, which rounds
# correctly (it agrees with JavaScript's JSON.parse, which the app uses).

# Each double as the shortest decimal text that reads back as the same double; `na` for
# NA, NaN and infinities (JSON has no such numbers).
exact_number_text <- function(x, na = "null") {
  out <- rep(na, length(x))
  ok <- is.finite(x)
  if (!any(ok)) return(out)
  v <- x[ok]
  text <- sprintf("%.15g", v)
  for (digits in c(16L, 17L)) {
    off <- read_exact_numbers(text) != v
    if (!any(off)) break
    text[off] <- sprintf(paste0("%.", digits, "g"), v[off])
  }
  out[ok] <- text
  out
}

# Decimal texts (as JSON or JavaScript write numbers) as doubles, parsed exactly.
# "" and "NA" (and "null") are NA.
read_exact_numbers <- function(text) {
  if (length(text) == 0L) return(numeric())
  text <- trimws(text)
  text[text %in% c("", "NA", "null", "NaN")] <- "null"
  values <- tryCatch(
    jsonlite::parse_json(paste0("[", paste(text, collapse = ","), "]"), simplifyVector = TRUE),
    error = function(e) NULL
  )
  if (is.null(values) || length(values) != length(text) || is.list(values)) {
    # Not all JSON numbers: fall back to R's reader, value by value.
    return(suppressWarnings(as.numeric(text)))
  }
  as.numeric(values)
}
