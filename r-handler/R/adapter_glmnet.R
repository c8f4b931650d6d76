# glmnet fits predict from a numeric matrix of the inputs (`newx`) at one penalty: the one a
# cv.glmnet chose ("lambda.1se" by default), or a fit's single lambda. A whole path of
# penalties has no one prediction: such a model needs a score.R that picks `s`.

glmnet_beta <- function(model) {
  beta <- if (inherits(model, "cv.glmnet")) model$glmnet.fit$beta else model$beta
  if (is.list(beta)) beta[[1L]] else beta
}

model_inputs.glmnet <- function(model, prototype = NULL) rownames(glmnet_beta(model))
model_inputs.cv.glmnet <- model_inputs.glmnet

glmnet_matrix <- function(model, newdata) {
  if (!inherits(model, "cv.glmnet") && length(model$lambda) > 1L) {
    stop(sprintf("this glmnet fit holds a path of %d penalties: publish a cv.glmnet fit, or a score.R that picks s",
                 length(model$lambda)), call. = FALSE)
  }
  as.matrix(newdata[, model_inputs(model), drop = FALSE])
}

adapter_predict.glmnet <- function(model, newdata, spec) predict_spec(model, glmnet_matrix(model, newdata), spec)
adapter_predict.cv.glmnet <- adapter_predict.glmnet

adapter_types.cv.glmnet <- function(model) adapter_types(model$glmnet.fit)
