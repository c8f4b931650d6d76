# Rows of a data frame as the app takes them: JSON records (doubles exact, NA as null,
# factors as strings, dates and date-times as ISO 8601 text, own row names in "_row") for
# scoring, and CSV (the same values, row names in write.csv's unnamed first column) for
# batches.

as_rows <- function(newdata, what = "newdata") {
  if (is.matrix(newdata)) newdata <- as.data.frame(newdata, stringsAsFactors = FALSE)
  if (is.list(newdata) && !is.data.frame(newdata)) newdata <- as.data.frame(newdata, stringsAsFactors = FALSE, check.names = FALSE)
  if (!is.data.frame(newdata)) stop(sprintf("`%s` must be a data frame.", what), call. = FALSE)
  if (nrow(newdata) == 0L) stop(sprintf("`%s` has no rows.", what), call. = FALSE)
  if (ncol(newdata) == 0L) stop(sprintf("`%s` has no columns.", what), call. = FALSE)
  bad <- vapply(newdata, function(col) is.list(col) || !is.null(dim(col)), NA)
  if (any(bad)) {
    stop(sprintf("Column(s) %s of `%s` are lists or matrices: pass one plain column per input.",
                 paste(names(newdata)[bad], collapse = ", "), what), call. = FALSE)
  }
  newdata
}

# Whether the rows carry names of their own (anything but the automatic 1..n).
has_own_row_names <- function(df) {
  if (.row_names_info(df) < 0L) return(FALSE)
  !identical(rownames(df), as.character(seq_len(nrow(df))))
}

# A column as plain values: doubles as exact JSON numbers (verbatim), dates and date-times
# as ISO 8601 text, difftimes as their numbers (see time_columns.R), factors and other
# classed vectors as their text, integers, logicals and strings as they are.
json_column <- function(col) {
  if (is.factor(col)) return(as.character(col))
  time <- time_column(col)
  if (is.double(time)) return(structure(exact_number_text(time, na = "null"), class = "json"))
  if (!is.null(time)) return(time)
  if (is.double(col) && is.null(oldClass(col))) return(structure(exact_number_text(col, na = "null"), class = "json"))
  if (!is.null(oldClass(col))) return(as.character(col))
  col
}

# The JSON body of a scoring request.
rows_json <- function(rows, type = NULL, row_names = FALSE) {
  rows[] <- lapply(rows, json_column)
  # Names as strings (jsonlite writes integer row names, as x[c(5, 3), ] has, as numbers).
  if (row_names) attr(rows, "row.names") <- as.character(rownames(rows))
  body <- list(data = rows)
  if (!is.null(type)) body$type <- type
  as.character(jsonlite::toJSON(body, dataframe = "rows", rownames = row_names, json_verbatim = TRUE,
                                na = "null", null = "null", auto_unbox = TRUE, factor = "string"))
}

# A column as CSV cells (write.csv's conventions: strings quoted, NA unquoted).
csv_column <- function(col) {
  quote <- function(x) ifelse(is.na(x), "NA", paste0("\"", gsub("\"", "\"\"", enc2utf8(x), fixed = TRUE), "\""))
  if (is.factor(col)) return(quote(as.character(col)))
  time <- time_column(col)
  if (is.double(time)) return(exact_number_text(time, na = "NA"))
  if (!is.null(time)) return(ifelse(is.na(time), "NA", time))
  if (is.double(col) && is.null(oldClass(col))) return(exact_number_text(col, na = "NA"))
  if (is.logical(col)) return(ifelse(is.na(col), "NA", ifelse(col, "TRUE", "FALSE")))
  if (is.integer(col) && is.null(oldClass(col))) return(ifelse(is.na(col), "NA", as.character(col)))
  quote(as.character(col))
}

# Writes the rows as CSV with a header line (and the row names first, under an empty
# header, when they are the rows' own), doubles exact.
write_rows_csv <- function(rows, path) {
  cells <- lapply(rows, csv_column)
  header <- paste0("\"", gsub("\"", "\"\"", names(rows), fixed = TRUE), "\"")
  if (has_own_row_names(rows)) {
    cells <- c(list(csv_column(rownames(rows))), cells)
    header <- c("\"\"", header)
  }
  con <- file(path, open = "wb")
  on.exit(close(con))
  writeLines(enc2utf8(paste(header, collapse = ",")), con, useBytes = TRUE)
  writeLines(do.call(paste, c(unname(cells), sep = ",")), con, useBytes = TRUE)
  invisible(path)
}
