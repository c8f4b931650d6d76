# Forests and boosted trees fitted on x and y (no formula) record their inputs' names:
# randomForest in its importance table, ranger in its forest, gbm in var.names.

model_inputs.randomForest <- function(model, prototype = NULL) {
  inputs <- NextMethod()
  if (is.null(inputs) && !is.null(model$importance)) rownames(model$importance) else inputs
}

model_inputs.ranger <- function(model, prototype = NULL) {
  inputs <- NextMethod()
  if (is.null(inputs)) model$forest$independent.variable.names else inputs
}

model_inputs.gbm <- function(model, prototype = NULL) model$var.names
