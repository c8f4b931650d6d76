# pls's mvr fits (plsr, pcr) predict an array of rows x responses x components: the
# prediction is the one with every component the model was fitted with.

adapter_predict.mvr <- function(model, newdata, spec) predict_spec(model, newdata, spec, ncomp = model$ncomp)
