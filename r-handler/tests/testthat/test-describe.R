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
