# The model zoo (test/zoo/zoo.R), each model trained once per run and written as a model
# directory (model.rds, model.json from describe_model, score.R) in a temporary folder.
source(file.path(dirname(handler_root), "test", "zoo", "zoo.R"), local = globalenv())

zoo <- local({
  out <- list()
  for (z in zoo_models()) {
    for (pkg in zoo_packages(z)) suppressPackageStartupMessages(library(pkg, character.only = TRUE))
    z$model <- suppressWarnings(z$fit(z$data))
    z$dir <- file.path(tempdir(), "zoo", z$name)
    dir.create(z$dir, recursive = TRUE, showWarnings = FALSE)
    saveRDS(z$model, file.path(z$dir, "model.rds"))
    score <- NULL
    if (!is.null(z$score)) {
      score <- file.path(z$dir, "score.R")
      writeLines(z$score, score)
    }
    z$described <- tryCatch(describe_model(z$model, score, z$data, z$response), error = function(e) e)
    if (!inherits(z$described, "error")) writeLines(schema_json(z$described$schema), file.path(z$dir, "model.json"))
    out[[z$name]] <- z
  }
  out
})

# The text of the predictions array in a handler answer.
predictions_text <- function(out) sub('^\\{"type":.*?,"rows":[0-9]+,"predictions":(.*)\\}$', "\\1", out$body, perl = TRUE)
