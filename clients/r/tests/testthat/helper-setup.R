# Shared by the tests. Tests against a running app need RSCORING_URL, RSCORING_KEY and (for
# the admin ones) RSCORING_ADMIN_KEY; without RSCORING_URL they skip, so R CMD check and
# runs elsewhere pass. test/integration/rClient.test.ts starts the app (real Azurite, the
# sample models published, the app on the test host) and runs them.

live_endpoint <- function(...) {
  url <- Sys.getenv("RSCORING_URL")
  testthat::skip_if(!nzchar(url), "RSCORING_URL is not set: no scoring app to test against (test/integration/rClient.test.ts starts one)")
  scoring_endpoint(url, Sys.getenv("RSCORING_KEY"), admin_key = Sys.getenv("RSCORING_ADMIN_KEY"), ...)
}

# Admin calls need the master key and an app with the admin routes.
skip_without_admin <- function(ep) {
  testthat::skip_if(is.null(ep$secrets$admin_key), "RSCORING_ADMIN_KEY is not set: admin calls are not tested")
  testthat::skip_if_not(admin_routes_available(ep), "the app has no admin routes yet (GET /api/models/{name}/history answers 404)")
}

# A sample model directory (r-handler/examples/models/<name>): the fit, its prototype, and
# its score.R's functions when it has one.
sample_model <- function(name) {
  root <- Sys.getenv("RSCORING_SAMPLE_MODELS", testthat::test_path("..", "..", "..", "..", "r-handler", "examples", "models"))
  dir <- file.path(root, name)
  testthat::skip_if_not(file.exists(file.path(dir, "model.rds")), paste("no sample model at", dir))
  # The packages whose predict() or coef() methods the samples need (MASS for lm.ridge).
  for (pkg in c("randomForest", "MASS")) {
    testthat::skip_if_not_installed(pkg)
    loadNamespace(pkg)
  }
  env <- NULL
  if (file.exists(file.path(dir, "score.R"))) {
    env <- new.env()
    suppressPackageStartupMessages(sys.source(file.path(dir, "score.R"), envir = env))
  }
  list(fit = readRDS(file.path(dir, "model.rds")), prototype = readRDS(file.path(dir, "prototype.rds")), score = env)
}

# What R itself predicts for the sample: its score() if it has one, else predict().
local_predict <- function(sample, newdata, type = NULL) {
  if (!is.null(sample$score)) {
    if (is.null(type)) sample$score$score(sample$fit, newdata) else sample$score$score(sample$fit, newdata, type = type)
  } else if (is.null(type)) {
    stats::predict(sample$fit, newdata)
  } else {
    stats::predict(sample$fit, newdata, type = type)
  }
}

without_version <- function(x) {
  attr(x, "model_version") <- NULL
  x
}

# TRUE once f() is TRUE, FALSE after `timeout` seconds.
eventually <- function(f, timeout = 30) {
  deadline <- Sys.time() + timeout
  repeat {
    if (isTRUE(f())) return(TRUE)
    if (Sys.time() > deadline) return(FALSE)
    Sys.sleep(0.2)
  }
}

# Every request httr2 performs inside `code`: its URL, headers and curl options.
record_requests <- function(code) {
  seen <- list()
  recorder <- function(req) {
    seen[[length(seen) + 1L]] <<- list(url = req$url, method = req$method, headers = req$headers, options = req$options)
    NULL # then performed for real
  }
  value <- httr2::with_mock(recorder, code)
  list(value = value, requests = seen)
}

# Fits a model as a user would at the top level: its formula's environment is the global
# environment. (A model fitted inside a test refers to the test's environment, whose parent
# is this package's namespace: saved with saveRDS(), it would need rscoring to be loaded.)
fit_at_top_level <- function(expr) eval(substitute(expr), globalenv())
