# party's S4 trees and forests (ctree, cforest) keep their inputs in their learning sample,
# not in a formula a method can read.

model_inputs.BinaryTree <- function(model, prototype = NULL) names(model@data@get("input"))
model_inputs.RandomForest <- model_inputs.BinaryTree

# Their class probabilities come as one vector (or one-row matrix) per row, unnamed or named
# after the response column: named here by the classes alone.
adapter_predict.BinaryTree <- function(model, newdata, spec) {
  pred <- predict_spec(model, newdata, spec)
  response <- model@responses@variables[[1L]]
  if (is.list(pred) && is.factor(response)) {
    pred <- lapply(pred, function(p) {
      if (!is.numeric(p) || length(p) != nlevels(response)) return(p)
      stats::setNames(as.vector(p), levels(response))
    })
  }
  pred
}
adapter_predict.RandomForest <- adapter_predict.BinaryTree
