# Penguin species from a random forest. Missing inputs are filled with the training
# medians (numbers) and modes (factors) kept in model$fill, as na.roughfix did in training.
library(randomForest)
score_types <- c("class", "prob")
score <- function(model, newdata, type = "class") {
  for (name in names(model$fill)) {
    missing <- is.na(newdata[[name]])
    if (any(missing)) newdata[[name]][missing] <- model$fill[[name]]
  }
  predict(model, newdata, type = if (type == "prob") "prob" else "response")
}
