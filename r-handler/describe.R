# Writes a model's input schema (model.json) from the model plus a prototype data frame.
#   Rscript r-handler/describe.R --model model.rds --prototype data.csv|data.rds
#           [--score score.R] [--response column] [--out model.json]
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "R", "cli.R"))
source_handler_files(script_dir())

usage <- "usage: Rscript describe.R --model model.rds [--prototype data.csv|data.rds] [--score score.R] [--response column] [--out model.json]"
opts <- tryCatch(parse_cli(commandArgs(trailingOnly = TRUE)), error = function(e) {
  message(usage, "\n", conditionMessage(e))
  quit(status = 2)
})
if (is.null(opts$model)) {
  message(usage)
  quit(status = 2)
}

read_prototype <- function(path) {
  if (grepl("\\.rds$", path, ignore.case = TRUE)) return(as.data.frame(readRDS(path)))
  utils::read.csv(path, stringsAsFactors = TRUE, check.names = FALSE)
}

result <- tryCatch({
  model <- readRDS(opts$model)
  attach_packages(model_packages(model))
  scorer <- load_scorer(model, opts$score)
  prototype <- if (is.null(opts$prototype)) NULL else read_prototype(opts$prototype)
  schema <- describe_model(model, scorer, prototype, opts$response)
  json <- jsonlite::toJSON(schema, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null", na = "null")
  if (is.null(opts$out)) cat(json, "\n") else writeLines(json, opts$out)
  0L
}, error = function(e) {
  message("describe failed: ", conditionMessage(e))
  1L
})
quit(status = result)
