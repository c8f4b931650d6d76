# nlme's lme fits predict at their innermost grouping level, so the grouping columns are
# inputs as much as the fixed effects' variables.

model_inputs.lme <- function(model, prototype = NULL) unique(c(NextMethod(), names(model$groups)))
