# The R scoring handler as one of the app's pool workers: the same service as main.R,
# spoken to over its standard streams instead of HTTP, so no port is opened at all.
#   Rscript r-handler/worker.R --model <dir>
# Each request is one line on stdin: a /score body (JSON without newlines), or the line
# "frame <n>" followed by n bytes of column frame (see R/frame.R). Each answer is
# one line on stdout: "\x1e<status> <json>". The first line is "\x1eREADY" once the model is
# loaded and a warm-up prediction succeeded, or "\x1eFAILED <reason>". Anything else on
# stdout (a print() in a score.R, say) lacks the \x1e mark and is ignored by the app.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "R", "cli.R"))
source_handler_files(script_dir())

opts <- tryCatch(parse_cli(commandArgs(trailingOnly = TRUE)), error = function(e) list())
if (is.null(opts$model)) {
  message("usage: Rscript worker.R --model <dir>")
  quit(status = 2)
}
invisible(Sys.setlocale("LC_CTYPE", "C.UTF-8"))

out <- stdout()
send <- function(text) {
  writeLines(paste0("\x1e", text), out, useBytes = TRUE)
  flush(out)
}

svc <- load_service(new_service(opts$model, report_errors = TRUE))
if (!identical(svc$state, "ready")) {
  send(paste("FAILED", gsub("[\r\n]+", " ", svc$error)))
  quit(status = 3)
}
send("READY")

input <- file("stdin", open = "rb")
repeat {
  line <- readLines(input, n = 1L, warn = FALSE, encoding = "UTF-8")
  if (length(line) == 0L) break
  answer <- if (startsWith(line, "frame ")) {
    score_route(svc, readBin(input, "raw", as.integer(substring(line, 7L))), FRAME_CONTENT_TYPE)
  } else {
    score_route(svc, line)
  }
  send(paste(answer$status, answer$body))
}
