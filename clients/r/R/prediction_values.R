# The app's predictions (one JSON value per row) as R's predict() gives them: a numeric
# vector, a factor with the model's levels, a logical vector, or a data frame with one
# column per class (probabilities) or per value.

shape_predictions <- function(values, out, row_names = NULL) {
  kind <- out$kind
  if (is.na(kind)) kind <- guess_kind(values)
  result <- switch(kind,
    numeric = vapply(values, function(v) if (is.null(v)) NA_real_ else as.numeric(v), 0),
    logical = vapply(values, function(v) if (is.null(v)) NA else as.logical(v), NA),
    class = class_factor(vapply(values, function(v) if (is.null(v)) NA_character_ else as.character(v), ""), out$classes),
    probabilities = value_frame(values, out$classes, row_names),
    values = value_frame(values, out$columns, row_names),
    stop(sprintf("The app answered an output of kind \"%s\", which this client does not know.", kind), call. = FALSE)
  )
  if (!is.data.frame(result)) names(result) <- row_names
  result
}

guess_kind <- function(values) {
  first <- Find(Negate(is.null), values)
  if (is.null(first)) return("numeric")
  if (is.list(first)) return("values")
  if (is.character(first)) return("class")
  if (is.logical(first)) return("logical")
  "numeric"
}

class_factor <- function(labels, levels) {
  levels <- as.character(levels)
  if (length(levels) == 0L) return(factor(labels))
  unseen <- setdiff(unique(labels[!is.na(labels)]), levels)
  factor(labels, levels = c(levels, sort(unseen)))
}

value_frame <- function(values, columns, row_names = NULL) {
  columns <- as.character(columns)
  if (length(columns) == 0L) {
    first <- Find(Negate(is.null), values)
    columns <- names(first)
  }
  cols <- lapply(columns, function(col) {
    vapply(values, function(v) { x <- v[[col]]; if (is.null(x)) NA_real_ else as.numeric(x) }, 0)
  })
  names(cols) <- columns
  df <- as.data.frame(cols, check.names = FALSE, stringsAsFactors = FALSE)
  if (!is.null(row_names)) rownames(df) <- row_names
  df
}
