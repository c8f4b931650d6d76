# How a model is scored: its own predict() method, or a custom score() from score.R.
# A scorer is list(types, default_type, fn(newdata, type)).

builtin_types <- function(model) {
  if (inherits(model, "randomForest")) {
    if (identical(model$type, "classification")) return(c("response", "prob", "class"))
    return("response")
  }
  if (inherits(model, "glm")) return(c("response", "link"))
  "response"
}

builtin_predict <- function(model, newdata, type) {
  if (inherits(model, "randomForest")) {
    if (identical(type, "class")) type <- "response"
    return(stats::predict(model, newdata, type = type))
  }
  if (inherits(model, "glm")) return(stats::predict(model, newdata, type = type))
  stats::predict(model, newdata)
}

# score.R is sourced into its own environment. It must define score(model, newdata, ...)
# and may define score_types (the first one is the default).
load_custom_scorer <- function(path, model) {
  env <- new.env(parent = globalenv())
  sys.source(path, envir = env)
  if (!exists("score", envir = env, inherits = FALSE) || !is.function(env$score)) {
    stop("score.R must define a function score(model, newdata, ...)")
  }
  types <- if (exists("score_types", envir = env, inherits = FALSE)) as.character(env$score_types) else "response"
  fn <- env$score
  takes_type <- any(c("type", "...") %in% names(formals(fn)))
  list(
    types = types,
    default_type = types[[1]],
    custom = TRUE,
    fn = function(newdata, type) if (takes_type) fn(model, newdata, type = type) else fn(model, newdata)
  )
}

load_scorer <- function(model, score_path = NULL) {
  if (!is.null(score_path) && file.exists(score_path)) return(load_custom_scorer(score_path, model))
  if (is.function(model)) stop("a model that is a function needs no model.rds: use score.R")
  types <- builtin_types(model)
  list(
    types = types,
    default_type = types[[1]],
    custom = FALSE,
    fn = function(newdata, type) builtin_predict(model, newdata, type)
  )
}

# Normalise what a scorer returned to one value per row: a numeric, character or logical
# vector, or a numeric matrix with one named column per class.
normalise_prediction <- function(pred, n) {
  if (is.data.frame(pred)) pred <- if (ncol(pred) == 1) pred[[1]] else as.matrix(pred)
  if (is.matrix(pred)) {
    if (ncol(pred) == 1 && is.null(colnames(pred))) pred <- pred[, 1]
    else {
      class(pred) <- NULL
      pred <- matrix(as.double(pred), nrow = nrow(pred), dimnames = list(NULL, colnames(pred)))
      if (is.null(colnames(pred))) colnames(pred) <- paste0("V", seq_len(ncol(pred)))
    }
  }
  if (!is.matrix(pred)) {
    if (is.factor(pred)) pred <- as.character(pred)
    pred <- unname(pred)
    if (is.list(pred)) stop("score() returned a list; return a vector or a matrix")
  }
  rows <- if (is.matrix(pred)) nrow(pred) else length(pred)
  if (rows != n) stop(sprintf("the model returned %d predictions for %d rows", rows, n))
  pred
}

output_kind <- function(pred) {
  if (is.matrix(pred)) return(list(kind = "probabilities", classes = I(colnames(pred))))
  if (is.character(pred)) return(list(kind = "class"))
  if (is.logical(pred)) return(list(kind = "logical"))
  list(kind = "numeric")
}
