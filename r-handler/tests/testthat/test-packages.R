# The packages a model needs are found, not listed: from installed packages' registered
# methods, an S4 class's package, and the namespaces the saved object refers to.

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
