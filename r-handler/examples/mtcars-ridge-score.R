# MASS::lm.ridge has no predict() method: coef() gives the intercept and the coefficients
# on the original scale.
score <- function(model, newdata, ...) {
  x <- as.matrix(newdata[, names(model$xm), drop = FALSE])
  drop(cbind(1, x) %*% coef(model))
}
