# Runs the R handler's testthat suite: Rscript r-handler/tests/testthat.R
suppressPackageStartupMessages(library(testthat))
local({
  args <- commandArgs(trailingOnly = FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  assign("handler_root", dirname(dirname(normalizePath(file))), envir = globalenv())
})
# testthat runs each file from tests/testthat: make a relative models folder absolute first.
if (nzchar(Sys.getenv("R_SCORING_MODELS"))) Sys.setenv(R_SCORING_MODELS = normalizePath(Sys.getenv("R_SCORING_MODELS"), mustWork = FALSE))
sys.source(file.path(handler_root, "R", "cli.R"), envir = globalenv())
source_handler_files(handler_root)
results <- as.data.frame(test_dir(file.path(handler_root, "tests", "testthat"), reporter = "summary",
                                  stop_on_failure = FALSE, load_helpers = TRUE, env = globalenv()))
failed <- sum(results$failed) + sum(results$error)
passed <- sum(results$nb) - sum(results$failed)
cat(sprintf("R: %d passed, %d failed, %d skipped\n", passed, failed, sum(results$skipped)))
quit(status = if (failed > 0 || sum(results$skipped) > 0) 1 else 0)
