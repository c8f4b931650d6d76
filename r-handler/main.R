# The R scoring handler: serves one model over HTTP.
#   Rscript r-handler/main.R --model <dir> --port <n> [--host 127.0.0.1] [--debug] [--report-errors]
# --debug puts R's error messages in answers' detail; --report-errors adds them as
# "rMessage" for the app that runs this handler as a worker.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "R", "cli.R"))
source_handler_files(script_dir())

opts <- tryCatch(parse_cli(commandArgs(trailingOnly = TRUE), flags = c("debug", "report-errors")), error = function(e) {
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
svc <- new_service(opts$model, debug = isTRUE(opts$debug), report_errors = isTRUE(opts[["report-errors"]]))
router <- build_router(svc)
# Serve /live at once; load the model on the first turn of the event loop.
later::later(function() {
  load_service(svc)
  message(sprintf("model %s: %s", svc$state, svc$model_dir))
}, 0)
plumber::pr_run(router, host = host, port = port, quiet = TRUE)
