# e1071's svm() has no `type`: class probabilities and decision values come as attributes
# when asked for with probability = TRUE (a model fitted with probability = TRUE) and
# decision.values = TRUE. naiveBayes() fitted on a formula records no formula: its inputs
# are the variables of its tables.

adapter_types.svm <- function(model) {
  types <- list(type_spec("response", type = NULL))
  if (isTRUE(model$compprob)) types <- c(types, list(type_spec("probabilities", type = NULL)))
  c(types, list(type_spec("decision", type = NULL)))
}

adapter_predict.svm <- function(model, newdata, spec) {
  switch(spec$name,
    probabilities = attr(predict_call(model, newdata, probability = TRUE), "probabilities"),
    decision = attr(predict_call(model, newdata, decision.values = TRUE), "decision.values"),
    predict_spec(model, newdata, spec)
  )
}

model_inputs.naiveBayes <- function(model, prototype = NULL) names(model$tables)
