# Calling a model's predict(): the S4 generic for S4 objects (kernlab, VGAM, party...),
# which falls back to S3 dispatch for S4 classes with S3 methods (lme4), and
# stats::predict for everything else. Never `$` on an S4 object here.

s4_predict_cache <- new.env(parent = emptyenv())

# The S4 generic "predict" once some loaded package has made one, else stats::predict.
s4_predict <- function() {
  g <- s4_predict_cache$generic
  if (is.null(g)) {
    g <- methods::getGeneric("predict", mustFind = FALSE, package = "stats")
    if (is.null(g)) return(stats::predict)
    s4_predict_cache$generic <- g
  }
  g
}

# predict(model, <rows>, ...), the rows given by the name the model's method takes them by.
predict_call <- function(model, newdata, ...) {
  f <- if (isS4(model)) s4_predict() else stats::predict
  switch(newdata_arg(model),
    newdata = f(model, newdata = newdata, ...),
    data = f(model, data = newdata, ...),
    newx = f(model, newx = newdata, ...),
    x = f(model, x = newdata, ...),
    f(model, newdata, ...)
  )
}

# The argument a model's predict() method takes new rows by: the first of the usual names it
# has; "newdata" for a method that passes `...` on (party's cforest: predict(object, OOB,
# ...)); "" (by position) otherwise. Once per class: it is asked on every call.
NEWDATA_ARGS <- c("newdata", "data", "newx", "x")
newdata_args_cache <- new.env(parent = emptyenv())

newdata_arg <- function(model) {
  key <- paste(class(model), collapse = "/")
  arg <- newdata_args_cache[[key]]
  if (is.null(arg)) {
    formals <- names(formals(predict_method(model)))
    arg <- intersect(NEWDATA_ARGS, formals)
    arg <- if (length(arg)) arg[[1L]] else if ("..." %in% formals) "newdata" else ""
    newdata_args_cache[[key]] <- arg
  }
  arg
}

# The classes a model's predict() method is looked up by: for S4 objects, the class and its
# superclasses; for others their class attribute only (a bare list or matrix is no model).
s3_classes <- function(model) {
  if (isS4(model)) tryCatch(suppressWarnings(methods::is(model)), error = function(e) class(model)) else oldClass(model)
}

# The function predict() reaches for this model (an S4 method's own arguments, not its
# rematched wrapper), or NULL when only predict.default would answer.
predict_method <- function(model) {
  if (isS4(model)) {
    g <- s4_predict()
    if (methods::is(g, "standardGeneric")) {
      m <- methods::selectMethod("predict", class(model), optional = TRUE, fdef = g)
      if (!is.null(m) && !methods::is(m, "derivedDefaultMethod")) return(methods::unRematchDefinition(m))
    }
  }
  for (cls in s3_classes(model)) {
    m <- utils::getS3method("predict", cls, optional = TRUE)
    if (!is.null(m)) return(m)
  }
  NULL
}
