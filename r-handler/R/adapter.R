# Model adapters: for a model, the prediction types worth trying, and how predict() is
# called for each. Methods per model family (adapter_*.R) where predict() needs more than
# the rows and a `type`; the default serves any model with a predict() method.
#
# A type is a spec: list(name, type, field, matrix). `type` is the value given as
# predict()'s `type` argument (NULL: none is given), `field` the member of a list prediction
# that holds the values (NULL: predict() returns them), `matrix` whether the rows go to
# predict() as a numeric matrix (a model fitted on one) rather than a data frame. Family
# methods may read `name` alone.

type_spec <- function(name, type = name, field = NULL, declared = TRUE, matrix = FALSE) {
  list(name = name, type = type, field = field, declared = declared, matrix = matrix)
}

# Types commonly offered by predict() methods, tried on every model at publish.
COMMON_TYPES <- c("response", "class", "prob", "probs", "probabilities", "raw", "link", "posterior", "lp", "risk")

# The types to try for a model, as specs; `declared` ones are those its method documents.
adapter_types <- function(model) UseMethod("adapter_types")

adapter_types.default <- function(model) {
  declared <- declared_types(predict_method(model))
  c(lapply(declared, type_spec),
    lapply(setdiff(COMMON_TYPES, declared), type_spec, declared = FALSE))
}

# What predict() returns for a type.
adapter_predict <- function(model, newdata, spec) UseMethod("adapter_predict")

adapter_predict.default <- function(model, newdata, spec) predict_spec(model, newdata, spec)

# predict(model, newdata, type = spec$type, ...), with the spec's list member taken out.
predict_spec <- function(model, newdata, spec, ...) {
  if (isTRUE(spec$matrix)) newdata <- as.matrix(newdata)
  pred <- if (is.null(spec$type)) predict_call(model, newdata, ...) else predict_call(model, newdata, type = spec$type, ...)
  if (is.null(spec$field)) pred else pred[[spec$field]]
}
