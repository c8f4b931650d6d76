# JSON output with full double precision. glibc's printf rounds correctly, so 17
# significant digits always read back as the same double; R's own number parser does not
# (as.double() and jsonlite can be one unit in the last place off), so it is never used to
# pick a shorter form. The app re-serialises to the shortest exact form. NA, NaN and +-Inf
# become null.

format_numbers <- function(x) {
  x <- as.double(x)
  out <- sprintf("%.17g", x)
  out[!is.finite(x)] <- "null"
  out
}

string_array <- function(x) as.character(jsonlite::toJSON(as.character(x), na = "null"))

# Each string as its own JSON literal (for object keys: few of them).
format_strings <- function(x) {
  vapply(as.character(x), function(s) as.character(jsonlite::toJSON(s, auto_unbox = TRUE)), "",
         USE.NAMES = FALSE)
}

json_array <- function(items) paste0("[", paste(items, collapse = ","), "]")

# A prediction result (numeric vector, factor/character vector, or a matrix of class
# probabilities) as a JSON array with one element per row.
predictions_json <- function(pred) {
  if (is.matrix(pred)) {
    keys <- paste0(format_strings(colnames(pred)), ":")
    cells <- matrix(format_numbers(pred), nrow = nrow(pred))
    cells[] <- paste0(rep(keys, each = nrow(pred)), cells)
    rows <- do.call(paste, c(lapply(seq_len(ncol(cells)), function(j) cells[, j]), sep = ","))
    return(json_array(paste0("{", rows, "}")))
  }
  if (is.factor(pred) || is.character(pred)) return(string_array(pred))
  if (is.logical(pred)) return(json_array(ifelse(is.na(pred), "null", tolower(pred))))
  json_array(format_numbers(pred))
}

# Numeric predictions for a column frame request: the doubles themselves, little-endian, in
# base64 (exact, and far cheaper than formatting text). NA, NaN and +-Inf stay as they are.
doubles_base64 <- function(x) {
  gsub("\n", "", jsonlite::base64_enc(writeBin(as.double(x), raw(), size = 8L, endian = "little")), fixed = TRUE)
}

to_json <- function(x) {
  as.character(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA))
}
