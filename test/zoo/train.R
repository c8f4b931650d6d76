# Trains the model zoo (test/zoo/zoo.R) into model directories, for the HTTP tests:
#   Rscript test/zoo/train.R <out-dir>
# Each directory holds model.rds, its prototype (prototype.csv written by write.csv with
# row names, as R users do, or prototype.rds), score.R where the model needs one, rows.json
# (the test rows, every column, doubles exact, dates as "YYYY-MM-DD", date-times in UTC
# ending in "Z", difftimes as numbers in their units) and expected.json (for each prediction type,
# what the plain R call gives on those rows). <out-dir>/zoo.json lists them.
local({
  file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  source(file.path(dirname(normalizePath(file)), "zoo.R"))
})
out <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(out)) stop("usage: Rscript test/zoo/train.R <out-dir>")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

index <- list()
for (z in zoo_models()) {
  for (pkg in zoo_packages(z)) suppressPackageStartupMessages(library(pkg, character.only = TRUE))
  dir <- file.path(out, z$name)
  dir.create(dir, showWarnings = FALSE)
  model <- suppressWarnings(z$fit(z$data))
  saveRDS(model, file.path(dir, "model.rds"))
  prototype <- if (z$prototype == "csv") "prototype.csv" else "prototype.rds"
  if (z$prototype == "csv") utils::write.csv(z$data, file.path(dir, prototype)) else saveRDS(z$data, file.path(dir, prototype))
  if (!is.null(z$score)) writeLines(z$score, file.path(dir, "score.R"))
  rows <- z$rows
  rownames(rows) <- NULL
  # jsonlite writes at most 15 significant digits: doubles go as their exact text.
  rows[] <- lapply(rows, function(v) {
    if (inherits(v, "difftime")) v <- as.numeric(v)
    if (!is.double(v) || inherits(v, c("Date", "POSIXt"))) return(v)
    structure(ifelse(is.finite(v), sprintf("%.17g", v), "null"), class = "json")
  })
  writeLines(jsonlite::toJSON(rows, dataframe = "rows", factor = "string", na = "null", json_verbatim = TRUE,
                              Date = "ISO8601", POSIXt = "ISO8601", UTC = TRUE), file.path(dir, "rows.json"))
  expected <- lapply(z$types, function(fn) suppressWarnings(expected_json(fn(model, z$rows))))
  writeLines(paste0("{", paste0('"', names(expected), '":', unlist(expected), collapse = ","), "}"), file.path(dir, "expected.json"))
  index[[length(index) + 1L]] <- list(name = z$name, package = z$package, types = I(names(z$types)), default = z$default,
                                      prototype = prototype, score = !is.null(z$score), response = z$response)
  message("trained ", z$name)
}
writeLines(jsonlite::toJSON(index, auto_unbox = TRUE, pretty = TRUE, null = "null"), file.path(out, "zoo.json"))
