# Rscript bench/baseline/serve.R <port>: serves plumber.R beside this file.
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
port <- as.integer(commandArgs(TRUE)[1])
pr <- plumber::plumb(file.path(here, "plumber.R"))
pr$run(host = "127.0.0.1", port = port, docs = FALSE, quiet = TRUE)
