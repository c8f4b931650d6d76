test_that("a number's profile holds its deciles and the share of rows in each bin", {
  x <- c(1:100, NA, NA)
  p <- column_profile(x)
  expect_equal(p$kind, "numeric")
  expect_equal(unclass(p$breaks), unname(quantile(1:100, probs = 1:9 / 10)))
  expect_equal(sum(p$shares), 1)
  expect_equal(unclass(p$shares), rep(0.1, 10))
  expect_equal(p$nullShare, 2 / 102)
})

test_that("bins put a value on a cut point in the bin below, and values past the ends in the end bins", {
  expect_equal(bin_shares(c(-100, 1, 1.5, 2, 100), c(1, 2)), c(2, 2, 1) / 5)
})

test_that("a factor's profile holds each level's share; constant numbers get one cut point", {
  p <- column_profile(factor(c("a", "b", "b", "b", NA), levels = c("a", "b", "c")))
  expect_equal(p$kind, "levels")
  expect_equal(p$shares, list(a = 0.25, b = 0.75))
  expect_equal(p$nullShare, 0.2)
  constant <- column_profile(rep(3, 5))
  expect_equal(unclass(constant$breaks), 3)
  expect_equal(unclass(constant$shares), c(1, 0))
})

test_that("describe writes the profile of every feature the prototype has into model.json", {
  penguins <- readRDS(file.path(models_dir, "penguins-rf", "prototype.rds"))
  model <- readRDS(file.path(models_dir, "penguins-rf", "model.rds"))
  schema <- describe_model(model, file.path(models_dir, "penguins-rf", "score.R"), penguins, "species")$schema
  expect_equal(schema$profile$rows, nrow(penguins))
  expect_setequal(names(schema$profile$features), vapply(schema$features, `[[`, "", "name"))
  island <- schema$profile$features$island
  expect_equal(island$shares$Biscoe, mean(penguins$island == "Biscoe"))
  json <- jsonlite::fromJSON(schema_json(schema), simplifyVector = TRUE)
  expect_length(json$profile$features$bill_length_mm$shares, 10)
  expect_equal(json$profile$features$bill_length_mm$nullShare, mean(is.na(penguins$bill_length_mm)))
})

test_that("dates are profiled as days, date-times as seconds since the epoch, durations in their units", {
  day <- as.Date("2024-01-01") + c(0:99, NA)
  p <- column_profile(day)
  expect_equal(p$kind, "numeric")
  expect_equal(unclass(p$breaks), unname(quantile(as.numeric(day[1:100]), probs = 1:9 / 10)))
  expect_equal(p$nullShare, 1 / 101)
  at <- as.POSIXct("2024-03-01", tz = "America/New_York") + 3600 * 0:99
  expect_equal(unclass(column_profile(at)$breaks), unname(quantile(as.numeric(at), probs = 1:9 / 10)))
  stay <- as.difftime(1:100, units = "mins")
  expect_equal(unclass(column_profile(stay)$breaks), unname(quantile(1:100, probs = 1:9 / 10)))
})
