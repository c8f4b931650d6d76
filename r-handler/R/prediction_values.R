# What predict() returned, as one value per row: a double, character or logical vector, or
# a double matrix with one named column per class (or per value). Dispatches on the class
# of the prediction, so any model's output shape is read the same way.

# List members that hold the predictions, in the order they are looked for.
PREDICTION_FIELDS <- c("predictions", "fit", "pred", "class", "posterior")

prediction_values <- function(pred, n) UseMethod("prediction_values")

prediction_values.default <- function(pred, n) {
  if (isS4(pred) && methods::is(pred, "Matrix")) return(prediction_values(as.matrix(pred), n))
  if (isS4(pred)) stop(sprintf("predict() returned an S4 object of class %s", class(pred)[[1]]))
  if (is.list(pred)) return(prediction_values.list(pred, n))
  if (!is.atomic(pred) || is.null(pred)) stop(sprintf("predict() returned a %s, not values per row", class(pred)[[1]]))
  # For one row, many predict() methods drop a matrix of named columns to a named vector.
  if (n == 1L && length(pred) > 1L && is.numeric(pred) && !is.null(names(pred))) {
    return(prediction_values(matrix(pred, nrow = 1L, dimnames = list(NULL, names(pred))), n))
  }
  values <- if (is.character(pred) || inherits(pred, c("Date", "POSIXt"))) as.character(pred)
            else if (is.logical(pred)) as.vector(pred)
            else if (is.numeric(pred)) as.double(pred)
            else stop(sprintf("predict() returned values of type %s", typeof(pred)))
  check_rows(length(values), n)
  values
}

prediction_values.factor <- function(pred, n) {
  check_rows(length(pred), n)
  as.character(pred)
}

prediction_values.array <- function(pred, n) {
  d <- dim(pred)
  if (length(d) == 1L) return(prediction_values.default(as.vector(pred), n))
  wide <- which(d[-1L] > 1L)
  if (length(wide) > 1L) stop(sprintf("predict() returned an array of %s values per row", paste(d[-1L], collapse = " x ")))
  keep <- if (length(wide)) c(1L, wide + 1L) else 1L
  names <- dimnames(pred)[[keep[length(keep)]]]
  flat <- array(pred, dim = d[keep])
  if (length(keep) == 2L) dimnames(flat) <- list(NULL, names)
  prediction_values(if (length(keep) == 1L) as.vector(flat) else flat, n)
}

prediction_values.matrix <- function(pred, n) {
  if (ncol(pred) == 1L) return(prediction_values(pred[, 1L, drop = TRUE], n))
  if (!is.numeric(pred) && !is.logical(pred)) stop("predict() returned a matrix that is not numeric")
  check_rows(nrow(pred), n)
  names <- colnames(pred)
  if (is.null(names)) names <- paste0("V", seq_len(ncol(pred)))
  matrix(as.double(pred), nrow = nrow(pred), dimnames = list(NULL, names))
}

prediction_values.data.frame <- function(pred, n) {
  if (ncol(pred) == 1L) return(prediction_values(pred[[1L]], n))
  if (!all(vapply(pred, is.numeric, TRUE))) stop("predict() returned a data frame of columns that are not all numeric")
  prediction_values(as.matrix(as.data.frame(pred)), n)
}

prediction_values.list <- function(pred, n) {
  field <- prediction_field(pred, n)
  if (!is.null(field)) return(prediction_values(pred[[field]], n))
  if (is_row_list(pred, n)) return(prediction_values(do.call(rbind, unclass(pred)), n))
  stop(sprintf("predict() returned a list without predictions (members: %s)", paste(names(pred), collapse = ", ")))
}

# A list of one numeric vector (or one-row matrix) per row, all of one length (party's class
# probabilities).
is_row_list <- function(pred, n) {
  one_row <- function(r) is.numeric(r) && (is.null(dim(r)) || (length(dim(r)) == 2L && nrow(r) == 1L))
  length(pred) == n && n > 0L && all(vapply(pred, one_row, TRUE)) && length(unique(lengths(pred))) == 1L
}

# The first member of a list prediction that holds one value per row.
prediction_field <- function(pred, n, fields = PREDICTION_FIELDS) {
  for (f in intersect(fields, names(pred))) {
    ok <- tryCatch({ prediction_values(pred[[f]], n); TRUE }, error = function(e) FALSE)
    if (ok) return(f)
  }
  NULL
}

check_rows <- function(rows, n) {
  if (rows != n) stop(sprintf("the model returned %d predictions for %d rows", rows, n))
}

# What kind of output values are: numbers, classes, logicals, class probabilities (named
# columns of numbers in [0, 1] summing to 1 in every row) or other named values per row.
output_kind <- function(values, raw = NULL) {
  if (is.matrix(values)) {
    probs <- all(is.finite(values)) && all(values >= 0 & values <= 1) &&
      all(abs(rowSums(values) - 1) < 1e-6)
    if (probs) return(list(kind = "probabilities", classes = I(colnames(values))))
    return(list(kind = "values", columns = I(colnames(values))))
  }
  if (is.character(values)) {
    out <- list(kind = "class")
    if (is.factor(raw)) out$classes <- I(levels(raw))
    return(out)
  }
  if (is.logical(values)) return(list(kind = "logical"))
  list(kind = "numeric")
}
