# MASS::lm.ridge fits have no predict() method (publish them with a score.R); their inputs
# are the columns whose means they kept.

model_inputs.ridgelm <- function(model, prototype = NULL) names(model$xm)
