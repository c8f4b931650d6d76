# The packages whose predict() methods a model needs. An .rds file does not record them, so
# they come from the model's class (for the common modelling packages) and from the
# schema's "packages" list, which a user may extend.

CLASS_PACKAGES <- c(
  randomForest = "randomForest", ranger = "ranger", glmnet = "glmnet", cv.glmnet = "glmnet",
  ridgelm = "MASS", lda = "MASS", qda = "MASS", polr = "MASS", rlm = "MASS",
  gbm = "gbm", xgb.Booster = "xgboost", rpart = "rpart", svm = "e1071", naiveBayes = "e1071",
  nnet = "nnet", multinom = "nnet", earth = "earth", train = "caret", gam = "mgcv",
  workflow = "workflows", model_fit = "parsnip"
)

model_packages <- function(model) {
  pkgs <- unname(CLASS_PACKAGES[intersect(class(model), names(CLASS_PACKAGES))])
  unique(pkgs)
}

attach_packages <- function(pkgs) {
  for (p in unique(pkgs)) {
    if (!requireNamespace(p, quietly = TRUE)) stop(sprintf("the model needs the R package '%s', which is not installed", p))
    suppressPackageStartupMessages(library(p, character.only = TRUE))
  }
}
