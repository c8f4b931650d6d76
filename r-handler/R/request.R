# Parsing a score request body. Accepted forms (all may carry "type"):
#   columns: {"columns": {"x": [1, 2], "g": ["a", "b"]}}            (fastest)
#   split:   {"columns": ["x", "g"], "data": [[1, "a"], [2, "b"]]}
#   records: {"data": [{"x": 1, "g": "a"}, ...]}, or {"df": [...]}, or {"data": {...}}

parse_json_body <- function(raw) {
  if (is.null(raw) || length(raw) == 0) abort_scoring(400L, "invalid_request", "The request body is empty.")
  txt <- if (is.character(raw)) raw else rawToChar(raw)
  Encoding(txt) <- "UTF-8"
  tryCatch(
    jsonlite::fromJSON(txt, simplifyVector = TRUE, simplifyDataFrame = FALSE, simplifyMatrix = FALSE),
    error = function(e) abort_scoring(400L, "malformed_json", "The request body is not valid JSON.")
  )
}

records_to_columns <- function(records, names) {
  cols <- lapply(names, function(n) {
    vals <- lapply(records, function(r) { v <- r[[n]]; if (is.null(v)) NA else v })
    if (any(lengths(vals) != 1L)) return(vals)
    unlist(vals, use.names = FALSE)
  })
  names(cols) <- names
  cols
}

is_record <- function(x) is.list(x) && !is.null(names(x))

# A JSON array of scalars of one type (numbers may mix integers and fractions) as the
# vector jsonlite's simplification would give; NULL for anything else (nulls, nesting,
# mixed types), which the full parser then handles.
simple_column <- function(v) {
  if (!is.list(v) || length(v) == 0L) return(NULL)
  types <- vapply(v, typeof, "")
  first <- types[[1L]]
  same <- if (first %in% c("integer", "double")) all(types == "integer" | types == "double")
          else first %in% c("logical", "character") && all(types == first)
  if (!same) return(NULL)
  out <- unlist(v, use.names = FALSE)
  if (length(out) != length(v)) NULL else out
}

# The body the app sends, {"type"?: string, "columns": {name: [scalars]}}, read without
# jsonlite's general simplification (a third of the handler's own time for one row).
# NULL when the body is anything else: parse_score_request() then reads it in full.
parse_plain_columns <- function(raw) {
  txt <- if (is.character(raw)) raw else rawToChar(raw)
  body <- tryCatch(jsonlite::parse_json(txt, simplifyVector = FALSE), error = function(e) NULL)
  if (!is_record(body) || !all(names(body) %in% c("type", "columns"))) return(NULL)
  type <- body$type
  cols <- body$columns
  if (!is_record(cols) || length(cols) == 0L) return(NULL)
  if (!is.null(type) && !(is.character(type) && length(type) == 1L)) return(NULL)
  if (anyDuplicated(names(cols)) || !all(nzchar(names(cols)))) return(NULL)
  simple <- lapply(cols, simple_column)
  if (any(vapply(simple, is.null, TRUE))) return(NULL)
  list(format = "columns", columns = simple, n = length(simple[[1]]), type = type)
}

parse_score_request <- function(raw) {
  plain <- if (length(raw) > 0) parse_plain_columns(raw) else NULL
  if (!is.null(plain)) return(plain)
  body <- parse_json_body(raw)
  if (!is_record(body)) abort_scoring(400L, "invalid_request", "The request body must be a JSON object.")
  type <- body$type
  if (!is.null(type) && !(is.character(type) && length(type) == 1L)) {
    abort_scoring(400L, "invalid_request", "\"type\" must be a string.",
                  list(field_error("type", "must be a string", pointer = "/type")))
  }
  if (is_record(body$columns)) {
    cols <- body$columns
    n <- if (length(cols)) length(cols[[1]]) else 0L
    return(list(format = "columns", columns = cols, n = n, type = type))
  }
  if (is.character(body$columns) && is.list(body$data)) {
    # Rows of mixed types were simplified to strings: read them again, value by value.
    rows <- jsonlite::parse_json(if (is.character(raw)) raw else rawToChar(raw), simplifyVector = FALSE)$data
    names <- body$columns
    if (any(lengths(rows) != length(names))) {
      bad <- which(lengths(rows) != length(names))[1]
      abort_scoring(422L, "invalid_input", sprintf("Row %d has %d values for %d columns.", bad - 1L, lengths(rows)[bad], length(names)),
                    list(field_error("data", "wrong number of values", row = bad - 1L, pointer = sprintf("/data/%d", bad - 1L))))
    }
    records <- lapply(rows, function(r) stats::setNames(as.list(r), names))
    return(list(format = "split", columns = records_to_columns(records, names), n = length(rows), type = type, names = names))
  }
  key <- if (!is.null(body$data)) "data" else if (!is.null(body$df)) "df" else NULL
  if (is.null(key)) {
    abort_scoring(400L, "invalid_request", "The body needs rows: \"columns\", \"data\" or \"df\".")
  }
  records <- body[[key]]
  if (is_record(records)) records <- list(records)
  if (!is.list(records) || !all(vapply(records, is_record, TRUE))) {
    abort_scoring(400L, "invalid_request", sprintf("\"%s\" must be an array of objects or one object.", key),
                  list(field_error(key, "must be an array of objects", pointer = paste0("/", key))))
  }
  names <- unique(unlist(lapply(records, names)))
  list(format = key, columns = records_to_columns(records, names), n = length(records), type = type)
}

# A function(field, row) giving the JSON pointer to a value (or, with row NULL, to the
# field) in the form the client sent.
request_pointer <- function(request) {
  switch(request$format,
    columns = columns_pointer,
    split = function(field, row) {
      if (is.null(row)) "/columns" else sprintf("/data/%d/%d", row, match(field, request$names) - 1L)
    },
    function(field, row) sprintf("/%s/%d/%s", request$format, if (is.null(row)) 0L else row, field)
  )
}
