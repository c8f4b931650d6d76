# Writes a model's input schema (model.json) from the model plus a prototype data frame.
#   Rscript r-handler/describe.R --model model.rds --prototype data.csv|data.rds
#           [--score score.R] [--response column] [--types a,b] [--out model.json]
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "R", "cli.R"))
source_handler_files(script_dir())

usage <- "usage: Rscript describe.R --model model.rds [--prototype data.csv|data.rds] [--score score.R] [--response column] [--types a,b] [--out model.json]"
opts <- tryCatch(parse_cli(commandArgs(trailingOnly = TRUE)), error = function(e) {
  message(usage, "\n", conditionMessage(e))
  quit(status = 2)
})
if (is.null(opts$model)) {
  message(usage)
  quit(status = 2)
}

# A prototype data frame; a CSV's unnamed first column (write.csv's row names) is dropped.
read_prototype <- function(path) {
  if (grepl("\\.rds$", path, ignore.case = TRUE)) {
    data <- tryCatch(readRDS(path), error = function(e) not_rds_file(e, path, "prototype"))
    if (!is.data.frame(data) && !is.matrix(data)) {
      stop(sprintf("the prototype (%s) holds an object of class %s, not a data frame: save the training data (or a sample of it) with saveRDS()",
                   basename(path), class(data)[[1L]]), call. = FALSE)
    }
    return(as.data.frame(data))
  }
  frame <- utils::read.csv(path, stringsAsFactors = TRUE, check.names = FALSE)
  if (ncol(frame) > 1L && !nzchar(names(frame)[[1L]])) frame <- frame[-1L]
  frame
}

types <- if (is.null(opts$types)) NULL else trimws(strsplit(opts$types, ",", fixed = TRUE)[[1]])

result <- tryCatch({
  read <- read_model(opts$model)
  model <- read$model
  attach_packages(model_packages(model, read$namespaces, opts$score))
  prototype <- if (is.null(opts$prototype)) NULL else read_prototype(opts$prototype)
  schema <- describe_model(model, opts$score, prototype, opts$response, types[nzchar(types)], read$namespaces)$schema
  json <- schema_json(schema)
  if (is.null(opts$out)) cat(json, "\n") else writeLines(json, opts$out)
  0L
}, error = function(e) {
  message("describe failed: ", conditionMessage(e))
  1L
})
quit(status = result)
