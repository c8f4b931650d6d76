# Scoring with every training level present. Some predict() methods rebuild the factors of
# newdata from the levels the rows hold (nlme's gls drops unused levels, and a model fitted
# on a character column keeps no contrasts for it), so one row, or rows lacking a level,
# fail where the training data scored. Such a model (model.json "completeLevels": true) is
# scored with padding rows after the real ones: the example row repeated, one row per level
# of each categorical input, that level in that column; the padding's predictions are
# dropped from the answer.

# The padding rows for a one-row typed frame (`example`) and the features: NULL when no
# feature has levels.
level_padding <- function(example, features) {
  categorical <- Filter(function(f) length(f$levels) > 0L && f$name %in% names(example), features)
  if (length(categorical) == 0L) return(NULL)
  pads <- lapply(categorical, function(f) {
    pad <- example[rep(1L, length(f$levels)), , drop = FALSE]
    column <- pad[[f$name]]
    column[seq_along(column)] <- as.character(f$levels)
    pad[[f$name]] <- column
    pad
  })
  padding <- do.call(rbind, pads)
  rownames(padding) <- NULL
  padding
}

# The rows followed by the padding.
pad_rows <- function(newdata, padding) {
  rows <- rbind(newdata, padding)
  rownames(rows) <- NULL
  rows
}

# The given rows of prediction values (a vector, or a matrix of one column per class).
take_rows <- function(values, rows) {
  if (is.matrix(values)) values[rows, , drop = FALSE] else values[rows]
}

# One value per real row of newdata, predicted with the padding rows after them.
padded_values <- function(model, newdata, spec, padding) {
  n <- nrow(newdata)
  rows <- pad_rows(newdata, padding)
  take_rows(prediction_values(adapter_predict(model, rows, spec), nrow(rows)), seq_len(n))
}
