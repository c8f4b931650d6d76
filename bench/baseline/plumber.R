# The service this product replaces, as the Azure/plumber deployment documents write it:
# one plumber process, the Boston forest loaded at start, predict() on the posted df.
# Used only as the benchmark's baseline.
bos_rf <- readRDS(Sys.getenv("BASELINE_MODEL"))
library(randomForest)

#* @param df data frame of variables
#* @post /score
function(req, df)
{
  df <- as.data.frame(df)
  predict(bos_rf, df)
}
