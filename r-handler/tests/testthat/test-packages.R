# The packages a model needs are found, not listed: from installed packages' registered
# methods, an S4 class's package, the namespaces the saved object refers to, and the
# packages exporting the functions its formula and score.R call.

test_that("the package registering a class's predict() method is found among installed packages", {
  set.seed(1)
  expect_identical(predict_packages(randomForest::randomForest(mpg ~ wt, data = mtcars, ntree = 5)), "randomForest")
  expect_identical(predict_packages(ranger::ranger(mpg ~ wt, data = mtcars, num.trees = 5)), "ranger")
  expect_identical(predict_packages(survival::coxph(survival::Surv(time, status) ~ age, data = survival::lung)), "survival")
  expect_identical(predict_packages(lm(mpg ~ wt, data = mtcars)), character())
  expect_identical(predict_packages(list(a = 1)), character())
})

test_that("a class with no predict() method is owned by the package registering its other methods", {
  expect_identical(predict_packages(MASS::lm.ridge(mpg ~ wt + hp, data = mtcars)), "MASS")
})

test_that("an S4 model's package is its class's", {
  expect_identical(predict_packages(kernlab::ksvm(mpg ~ wt, data = mtcars)), "kernlab")
})

test_that("an S4 model of a package that is not installed is refused, naming the package", {
  model <- asS4(structure(list(), class = structure("GhostModel", package = "ghostpkg")))
  expect_identical(predict_packages(model), "ghostpkg")
  expect_error(attach_packages(predict_packages(model)), "the model needs the R package 'ghostpkg', which is not installed")
})

test_that("reading a model that refers to a namespace that is not installed names it", {
  # A closure of MASS's, saved, its namespace renamed to one of the same length no library holds.
  fn <- utils::removeSource(local(function(x) x, envir = new.env(parent = asNamespace("MASS"))))
  path <- tempfile(fileext = ".rds")
  saveRDS(list(fn = fn), path, compress = FALSE)
  raw <- readBin(path, "raw", file.size(path))
  for (at in grepRaw("MASS", raw, fixed = TRUE, all = TRUE)) raw[at:(at + 3L)] <- charToRaw("QQQQ")
  writeBin(raw, path)
  expect_error(read_model(path), "the model needs the R package 'QQQQ', which is not installed")
  saved <- tempfile(fileext = ".rds")
  saveRDS(MASS::lda(Species ~ ., data = iris), saved)
  expect_identical(names(read_model(saved)), c("model", "namespaces"))
})

test_that("package versions are recorded beside the names", {
  expect_identical(package_versions("MASS")$MASS, as.character(utils::packageVersion("MASS")))
})

# --- In a fresh R session, as a user publishes: nothing attached but what R attaches. ---

rscript <- function(args, lib = NULL) {
  out <- tempfile()
  err <- tempfile()
  env <- if (is.null(lib)) character() else paste0("R_LIBS=", lib)
  status <- system2(file.path(R.home("bin"), "Rscript"), args, stdout = out, stderr = err, env = env)
  list(status = status, stderr = paste(readLines(err), collapse = "\n"))
}

# Fits models at the top level of a fresh session, as a user's script does: `fits` maps a
# name to the lines that make `data` and `model` (library() calls included), `types` to the
# prediction type. Each goes to its own directory with model.rds, prototype.rds and
# predict(model, data[1:5, ], type) as expected.rds.
fit_fresh <- function(fits, types) {
  root <- tempfile("fits-")
  dirs <- stats::setNames(file.path(root, names(fits)), names(fits))
  lines <- unlist(lapply(names(fits), function(name) c(
    fits[[name]],
    sprintf('dir.create("%s", recursive = TRUE)', dirs[[name]]),
    sprintf('saveRDS(model, "%s/model.rds"); saveRDS(data, "%s/prototype.rds")', dirs[[name]], dirs[[name]]),
    sprintf('saveRDS(unname(as.vector(predict(model, data[1:5, ], type = "%s"))), "%s/expected.rds")', types[[name]], dirs[[name]])
  )))
  script <- tempfile(fileext = ".R")
  writeLines(lines, script)
  res <- rscript(script)
  expect_identical(res$status, 0L, info = res$stderr)
  dirs
}

# describe.R's model.json for a model directory (list(status, stderr, schema)).
describe_fresh <- function(dir, score = NULL, lib = NULL) {
  args <- c(file.path(handler_root, "describe.R"), "--model", file.path(dir, "model.rds"),
            "--prototype", file.path(dir, "prototype.rds"), "--out", file.path(dir, "model.json"))
  if (!is.null(score)) args <- c(args, "--score", score)
  res <- rscript(args, lib)
  if (res$status == 0L) res$schema <- jsonlite::fromJSON(file.path(dir, "model.json"), simplifyVector = FALSE)
  res
}

# The handler's answer for rows 1 to 5 of the prototype, from a fresh session that loads the
# model directory as a worker does (attaching model.json's packages).
score_fresh <- function(dir, type, lib = NULL) {
  script <- tempfile(fileext = ".R")
  writeLines(c(
    sprintf('sys.source("%s", envir = globalenv())', file.path(handler_root, "R", "cli.R")),
    sprintf('source_handler_files("%s")', handler_root),
    sprintf('svc <- load_service(new_service("%s"))', dir),
    'if (!identical(svc$state, "ready")) stop(svc$error)',
    sprintf('rows <- readRDS("%s/prototype.rds")[1:5, ]', dir),
    'cols <- lapply(rows, function(v) if (is.factor(v)) as.character(v) else v)',
    sprintf('body <- jsonlite::toJSON(list(columns = cols, type = "%s"), auto_unbox = TRUE, digits = I(17))', type),
    sprintf('writeLines(score_route(svc, as.character(body))$body, "%s/answer.json")', dir)
  ), script)
  res <- rscript(script, lib)
  expect_identical(res$status, 0L, info = res$stderr)
  jsonlite::fromJSON(file.path(dir, "answer.json"))$predictions
}

test_that("the functions a formula calls are attached from the packages exporting them, and score as predict() does", {
  fits <- list(
    splines = c("library(splines)", "data <- mtcars", "model <- lm(mpg ~ ns(wt, df = 3) + bs(hp, df = 4), data = data)"),
    poly = c("data <- mtcars", "model <- lm(mpg ~ poly(wt, 2) + log(hp), data = data)"),
    pspline = c("library(survival)", 'data <- na.omit(lung[, c("time", "status", "age", "sex")])',
                "model <- coxph(Surv(time, status) ~ pspline(age, df = 3) + sex, data = data)"),
    surv = c("library(survival)", 'data <- na.omit(lung[, c("time", "status", "age", "sex")])',
             "model <- survreg(Surv(time, status) ~ age + sex, data = data)"),
    rcs = c("suppressPackageStartupMessages(library(rms))", "data <- mtcars", "model <- ols(mpg ~ rcs(wt, 4) + hp, data = data)")
  )
  types <- c(splines = "response", poly = "response", pspline = "lp", surv = "response", rcs = "lp")
  packages <- list(splines = "splines", poly = list(), pspline = "survival", surv = "survival", rcs = "rms")
  dirs <- fit_fresh(fits, types)
  for (name in names(fits)) {
    described <- describe_fresh(dirs[[name]])
    expect_identical(described$status, 0L, info = paste(name, described$stderr))
    expect_identical(described$schema$packages, as.list(packages[[name]]), info = name)
    expect_identical(score_fresh(dirs[[name]], types[[name]]), readRDS(file.path(dirs[[name]], "expected.rds")), info = name)
  }
})

test_that("a function of the formula that no installed package exports is refused, unless score.R defines it for the formula", {
  dirs <- fit_fresh(list(
    own = c("squared <- function(x) x^2", "data <- mtcars", "model <- lm(mpg ~ squared(wt) + hp, data = data)"),
    carried = c("fit <- function(d) { squared <- function(x) x^2; lm(mpg ~ squared(wt) + hp, data = d) }",
                "data <- mtcars", "model <- fit(data)")
  ), c(own = "response", carried = "response"))
  refused <- describe_fresh(dirs[["own"]])
  expect_identical(refused$status, 1L)
  expect_match(refused$stderr, "the model's formula calls squared(), which no installed R package exports", fixed = TRUE)
  expect_match(refused$stderr, "publish a score.R that defines it", fixed = TRUE)
  score <- file.path(dirs[["own"]], "score.R")
  writeLines(c("squared <<- function(x) x^2", "score <- function(model, newdata, ...) predict(model, newdata)"), score)
  published <- describe_fresh(dirs[["own"]], score = score)
  expect_identical(published$status, 0L, info = published$stderr)
  expect_identical(published$schema$packages, list())
  expect_identical(score_fresh(dirs[["own"]], "response"), readRDS(file.path(dirs[["own"]], "expected.rds")))
  # A model fitted inside a function keeps that function's frame, and the formula finds it there.
  carried <- describe_fresh(dirs[["carried"]])
  expect_identical(carried$status, 0L, info = carried$stderr)
  expect_identical(carried$schema$packages, list())
})

test_that("pkg::fn in a formula names its package, and one not installed is refused by name", {
  qualified <- lm(mpg ~ splines::ns(wt, df = 3), data = mtcars)
  expect_identical(model_packages(qualified), "splines")
  ghost <- structure(list(terms = stats::terms(y ~ ghostpkg::smooth(x))), class = "ghostfit")
  expect_error(model_packages(ghost), "the model needs the R package 'ghostpkg', which is not installed", fixed = TRUE)
})

test_that("a model whose class gives length() and [[ their own meaning (partykit's trees) is read by its members", {
  registerS3method("length", "overlong", function(x) 99L)
  registerS3method("[[", "overlong", function(x, i) stop("not a member"))
  model <- structure(list(terms = stats::terms(mpg ~ splines::ns(wt, df = 3)), fit = list(formula = y ~ log(x))),
                     class = "overlong")
  expect_identical(length(model), 99L)
  expect_identical(model_packages(model), "splines")
  tree <- partykit::ctree(Ozone ~ ., data = airquality[!is.na(airquality$Ozone), ])
  expect_identical(model_packages(tree), "partykit")
})

test_that("the functions score.R calls are found too, but not those it defines", {
  score <- tempfile(fileext = ".R")
  writeLines(c(
    "library(MASS)",
    "fill <- function(x) x",
    "score <- function(model, newdata, adjust = identity, ...) {",
    "  basis <- ns(newdata$wt, df = 2)",
    "  adjust(fill(predict(model, newdata)) + 0 * randomForest::combine)",
    "}"
  ), score)
  expect_identical(model_packages(lm(mpg ~ wt, data = mtcars), score_path = score), c("MASS", "randomForest", "splines"))
})

test_that("of several packages exporting a name, the model's own come first, then theirs, then R's, then the one the others build on", {
  expect_identical(choose_package(c("gam", "VGAM", "mgcv"), needed = "gam"), "gam")
  # cluster(): survival's, which rms depends on, of the several exporting one.
  expect_true(length(exporting_packages("cluster")) > 1L)
  expect_identical(choose_package(exporting_packages("cluster"), needed = "rms"), "survival")
  expect_identical(choose_package(c("gam", "VGAM", "mgcv")), "mgcv")
  # The pipe: magrittr's, which every package re-exporting it imports.
  expect_identical(choose_package(exporting_packages("%>%")), "magrittr")
})

# --- A package registering methods for other packages' classes, installed for the test. ---

# A library holding test/fixtures/toypkg, installed once per run.
toypkg_lib <- local({
  lib <- NULL
  function() {
    if (!is.null(lib)) return(lib)
    dir <- tempfile("rlib-")
    dir.create(dir)
    status <- system2(file.path(R.home("bin"), "R"), c("CMD", "INSTALL", paste0("--library=", dir),
                                                      file.path(dirname(handler_root), "test", "fixtures", "toypkg")),
                      stdout = FALSE, stderr = FALSE)
    if (status != 0L) stop("installing test/fixtures/toypkg failed")
    lib <<- dir
  }
})

test_that("which package owns a model's class does not change when another registers methods for it", {
  set.seed(1)
  models <- list(
    ridge = MASS::lm.ridge(mpg ~ ., data = mtcars, lambda = 1),
    lm = lm(mpg ~ wt + hp, data = mtcars),
    forest = randomForest::randomForest(mpg ~ wt + hp, data = mtcars, ntree = 5)
  )
  before <- lapply(models, model_packages)
  expect_identical(before, list(ridge = "MASS", lm = character(), forest = "randomForest"))
  lib <- toypkg_lib()
  old <- .libPaths()
  on.exit({ .libPaths(old); reset_packages_cache() })
  .libPaths(c(lib, old))
  reset_packages_cache()
  registered <- installed_s3_methods()
  expect_setequal(registered$class[registered$package == "toypkg" & registered$kind == "model"], c("toymodel", "lm", "ridgelm", "randomForest"))
  expect_identical(lapply(models, model_packages), before)
})

test_that("publishing and scoring a model are the same with such a package installed", {
  lib <- toypkg_lib()
  for (name in c("mtcars-ridge", "penguins-rf")) {
    sample <- file.path(handler_root, "examples", "models", name)
    outs <- lapply(list(without = NULL, with = lib), function(l) {
      dir <- tempfile(name)
      dir.create(dir)
      file.copy(file.path(sample, c("model.rds", "prototype.rds", "score.R")), dir)
      described <- describe_fresh(dir, score = file.path(dir, "score.R"), lib = l)
      expect_identical(described$status, 0L, info = described$stderr)
      list(schema = described$schema, predictions = score_fresh(dir, described$schema$output$defaultType, lib = l))
    })
    expect_identical(outs$with$schema, outs$without$schema, info = name)
    expect_identical(outs$with$predictions, outs$without$predictions, info = name)
  }
  expect_identical(outs$with$schema$packages, list("randomForest"))
})
