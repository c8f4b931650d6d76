# Reading --name value pairs (and bare --flags) from the command line.
parse_cli <- function(args, flags = character()) {
  out <- list()
  i <- 1L
  while (i <= length(args)) {
    a <- args[[i]]
    if (!startsWith(a, "--")) stop(sprintf("unexpected argument '%s'", a))
    key <- substring(a, 3L)
    if (grepl("=", key, fixed = TRUE)) {
      out[[sub("=.*$", "", key)]] <- sub("^[^=]*=", "", key)
    } else if (key %in% flags) {
      out[[key]] <- TRUE
    } else {
      if (i == length(args)) stop(sprintf("--%s needs a value", key))
      out[[key]] <- args[[i + 1L]]
      i <- i + 1L
    }
    i <- i + 1L
  }
  out
}

source_handler_files <- function(root) {
  for (f in sort(list.files(file.path(root, "R"), pattern = "\\.R$", full.names = TRUE))) {
    sys.source(f, envir = globalenv())
  }
}

# The folder of the script Rscript is running.
script_dir <- function() {
  file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(file))
}
