# Column frames: rows the app has already checked, in a binary form read without parsing
# text (the app writes them for batch chunks; see functions/batch/columnFrame.ts). A frame
# is one JSON header line {"type", "rows", "columns": [{name, kind, levels?, values?}]}, a
# newline, then each non-string column's values back to back, little-endian: "double" as
# 8-byte floats, "integer", "logical" and "factor" (1-based codes into "levels") as 4-byte
# integers, with R's own NA patterns. "string" columns are JSON arrays in the header.

FRAME_CONTENT_TYPE <- "application/vnd.r-scoring.columns"

is_frame_type <- function(content_type) {
  !is.null(content_type) && identical(tolower(trimws(sub(";.*$", "", content_type))), FRAME_CONTENT_TYPE)
}

bad_frame <- function(detail) abort_scoring(400L, "invalid_request", paste("The column frame is malformed:", detail))

frame_column <- function(con, col, n) {
  if (identical(col$kind, "string")) {
    v <- col$values
    if (length(v) != n) bad_frame(sprintf("column %s has %d values for %d rows", col$name, length(v), n))
    return(if (is.list(v)) rep(NA, n) else v)
  }
  size <- switch(col$kind, double = 8L, integer = , logical = , factor = 4L, bad_frame(sprintf("unknown kind '%s'", col$kind)))
  v <- readBin(con, if (size == 8L) "double" else "integer", n = n, size = size, endian = "little")
  if (length(v) != n) bad_frame(sprintf("column %s is cut short", col$name))
  switch(col$kind,
    logical = as.logical(v),
    factor = as.character(col$levels)[v],
    v
  )
}

# A frame (raw bytes) as a parsed request, the same shape parse_score_request() gives.
parse_frame <- function(raw) {
  if (!is.raw(raw)) raw <- charToRaw(raw)
  nl <- grepRaw(as.raw(10L), raw, fixed = TRUE)
  if (length(nl) == 0L) bad_frame("it has no header line")
  header <- tryCatch(
    jsonlite::fromJSON(rawToChar(raw[seq_len(nl - 1L)]), simplifyVector = TRUE, simplifyDataFrame = FALSE),
    error = function(e) bad_frame("its header is not JSON")
  )
  n <- header$rows
  if (!is.numeric(n) || length(n) != 1L || n < 0) bad_frame("\"rows\" must be a count")
  n <- as.integer(n)
  con <- rawConnection(raw)
  on.exit(close(con))
  seek(con, nl)
  cols <- list()
  for (col in header$columns) cols[[col$name]] <- frame_column(con, col, n)
  rest <- length(raw) - seek(con)
  if (rest != 0L) bad_frame(sprintf("%d bytes follow the last column", rest))
  list(format = "columns", columns = cols, n = n, type = header$type)
}
