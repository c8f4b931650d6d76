# glmnet predicts from a matrix, at a chosen penalty.
library(glmnet)
score <- function(model, newdata, ...) {
  x <- as.matrix(newdata[, rownames(model$beta), drop = FALSE])
  drop(predict(model, newx = x, s = 0.05))
}
