# Column frames as the app writes them (see R/frame.R), for the tests.

# A frame as the app writes it, from a data frame and the schema's features.
frame_of <- function(d, features, type = NULL) {
  kinds <- c(numeric = "double", integer = "integer", factor = "factor", logical = "logical", character = "string")
  columns <- list()
  payload <- raw()
  for (f in features) {
    v <- d[[f$name]]
    col <- list(name = f$name, kind = kinds[[f$type]])
    if (identical(f$type, "factor")) {
      col$levels <- I(f$levels)
      v <- match(as.character(v), f$levels)
    }
    if (identical(f$type, "character")) col$values <- I(v)
    else payload <- c(payload, writeBin(if (identical(f$type, "numeric")) as.double(v) else as.integer(v), raw(),
                                        size = if (identical(f$type, "numeric")) 8L else 4L, endian = "little"))
    columns[[length(columns) + 1L]] <- col
  }
  header <- list(rows = nrow(d), columns = columns)
  if (!is.null(type)) header$type <- type
  c(charToRaw(as.character(jsonlite::toJSON(header, auto_unbox = TRUE, na = "null"))), as.raw(10L), payload)
}

decode_doubles <- function(b64) readBin(jsonlite::base64_dec(b64), "double", n = 1e6, size = 8L, endian = "little")
