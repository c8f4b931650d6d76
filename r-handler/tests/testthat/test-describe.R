test_that("describe records types, levels, ranges, nullability and outputs", {
  schema <- read_schema(file.path(model_dir("penguins-rf"), "model.json"))
  f <- stats::setNames(schema$features, vapply(schema$features, `[[`, "", "name"))
  expect_identical(f$island$type, "factor")
  expect_identical(as.character(f$island$levels), c("Biscoe", "Dream", "Torgersen"))
  # An integer column the model uses as a number takes any number.
  expect_identical(f$flipper_length_mm$type, "numeric")
  expect_equal(f$flipper_length_mm$min, min(palmerpenguins::penguins$flipper_length_mm, na.rm = TRUE))
  expect_identical(f$bill_length_mm$min, min(palmerpenguins::penguins$bill_length_mm, na.rm = TRUE))
  expect_true(f$sex$nullable)
  expect_identical(schema$output$defaultType, "class")
  expect_identical(schema$output$types$prob$kind, "probabilities")
  expect_identical(unlist(schema$output$types$prob$classes), c("Adelie", "Chinstrap", "Gentoo"))
})

test_that("a random forest does not accept missing values", {
  schema <- read_schema(file.path(model_dir("boston-rf"), "model.json"))
  expect_false(any(vapply(schema$features, function(f) isTRUE(f$nullable), TRUE)))
  expect_identical(vapply(schema$features, `[[`, "", "name"), setdiff(names(MASS::Boston), "medv"))
})

test_that("describe.R writes model.json from a model and a CSV prototype", {
  out <- tempfile(fileext = ".json")
  status <- system2(file.path(R.home("bin"), "Rscript"),
                    c(file.path(handler_root, "describe.R"), "--model", file.path(model_dir("boston-rf"), "model.rds"),
                      "--prototype", file.path(model_dir("boston-rf"), "prototype.csv"), "--out", out),
                    stdout = FALSE, stderr = FALSE)
  expect_identical(status, 0L)
  schema <- jsonlite::fromJSON(out, simplifyVector = FALSE)
  types <- vapply(schema$features, `[[`, "", "type")
  expect_identical(types[vapply(schema$features, `[[`, "", "name") == "chas"], "numeric")
  expect_identical(schema$output$types$response$kind, "numeric")
})

test_that("without model.json the schema comes from the model itself", {
  model <- readRDS(file.path(model_dir("mtcars-glm"), "model.rds"))
  schema <- describe_model(model)$schema
  expect_identical(vapply(schema$features, `[[`, "", "name"), c("wt", "hp"))
  expect_identical(schema$example$wt, mtcars$wt[1])
  expect_setequal(names(schema$output$types), c("response", "link"))
  expect_identical(schema$output$defaultType, "response")
})

test_that("a model file that is not an .rds says so, and how to make one", {
  path <- tempfile(fileext = ".rds")
  utils::write.csv(mtcars, path)
  err <- expect_error(read_model(path), "is not an .rds file saved with saveRDS()", fixed = TRUE)
  expect_match(conditionMessage(err), "saveRDS(fit, \"model.rds\")", fixed = TRUE)
  empty <- tempfile(fileext = ".rds")
  file.create(empty)
  expect_error(read_model(empty), "is not an .rds file", fixed = TRUE)
  # describe.R says the same of a prototype .rds that is none, and of one that holds no data frame.
  model <- tempfile(fileext = ".rds")
  saveRDS(lm(mpg ~ wt, data = mtcars), model)
  describe <- function(prototype) {
    suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), c(file.path(handler_root, "describe.R"), "--model", model, "--prototype", prototype),
                             stdout = TRUE, stderr = TRUE))
  }
  out <- describe(path)
  expect_identical(attr(out, "status"), 1L)
  expect_match(paste(out, collapse = "\n"), "the prototype file (", fixed = TRUE)
  expect_match(paste(out, collapse = "\n"), "is not an .rds file saved with saveRDS()", fixed = TRUE)
  out <- describe(model)
  expect_match(paste(out, collapse = "\n"), "holds an object of class lm, not a data frame", fixed = TRUE)
})

test_that("a prototype lacking a column the model uses is refused naming the column", {
  fit <- lm(mpg ~ wt + hp + qsec, data = mtcars)
  err <- expect_error(describe_model(fit, prototype = mtcars[c("mpg", "wt")]), "the prototype lacks the columns 'hp' and 'qsec', which the model uses", fixed = TRUE)
  expect_no_match(conditionMessage(err), "score.R|--types")
  set.seed(1)
  forest <- randomForest::randomForest(Species ~ ., data = iris, ntree = 5)
  expect_error(describe_model(forest, prototype = iris[-1]), "the prototype lacks the column 'Sepal.Length'", fixed = TRUE)
})
