# The R scoring handler: serves one model over HTTP.
#   Rscript r-handler/main.R --model <dir> --port <n> [--host 127.0.0.1] [--debug]
local({
  args <- commandArgs(trailingOnly = FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  root <- dirname(normalizePath(file))
  sys.source(file.path(root, "R", "cli.R"), envir = globalenv())
  source_handler_files(root)
})

opts <- tryCatch(parse_cli(commandArgs(trailingOnly = TRUE), flags = "debug"), error = function(e) {
  message("usage: Rscript main.R --model <dir> --port <n> [--host 127.0.0.1] [--debug]\n", conditionMessage(e))
  quit(status = 2)
})
port <- suppressWarnings(as.integer(if (is.null(opts$port)) Sys.getenv("FUNCTIONS_CUSTOMHANDLER_PORT", "8000") else opts$port))
if (is.null(opts$model) || is.na(port)) {
  message("usage: Rscript main.R --model <dir> --port <n> [--host 127.0.0.1] [--debug]")
  quit(status = 2)
}
host <- if (is.null(opts$host)) "127.0.0.1" else opts$host

suppressPackageStartupMessages(library(plumber))
svc <- new_service(opts$model, debug = isTRUE(opts$debug))
router <- build_router(svc)
# Serve /live at once; load the model on the first turn of the event loop.
later::later(function() {
  load_service(svc)
  message(sprintf("model %s: %s", svc$state, svc$model_dir))
}, 0)
plumber::pr_run(router, host = host, port = port, quiet = TRUE)
