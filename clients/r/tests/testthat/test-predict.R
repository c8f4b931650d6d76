test_that("boston-rf: predict() on the endpoint is R's predict(), to the last bit", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  newdata <- boston$prototype # medv included: columns the model does not take are dropped
  p <- predict(ep, newdata)
  expect_identical(attr(p, "model_version"), "1")
  expect_identical(without_version(p), predict(boston$fit, newdata))
  expect_identical(without_version(predict(ep, newdata, model = "boston-rf", version = "production")), predict(boston$fit, newdata))
})

test_that("row names round-trip: the rows' own names, or R's automatic ones", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  picked <- boston$prototype[c(5, 3, 1), ]
  expect_identical(names(predict(ep, picked)), c("5", "3", "1"))
  named <- boston$prototype[1:4, ]
  rownames(named) <- c("house a", "house b", "Ünïcode", "d,\"quoted\"")
  p <- predict(ep, named)
  expect_identical(names(p), rownames(named))
  expect_identical(without_version(p), predict(boston$fit, named))
})

test_that("more rows than the app's MAX_ROWS go in several requests, in order", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  big <- boston$prototype[rep(seq_len(nrow(boston$prototype)), length.out = 25000), ]
  rownames(big) <- NULL
  seen <- record_requests(predict(ep, big, model = "boston-rf"))
  posts <- Filter(function(r) grepl("/score$", r$url), seen$requests)
  expect_length(posts, 3 + 1) # the first try has medv, refused; then 10,000 + 10,000 + 5,000 rows
  expect_identical(without_version(seen$value), predict(boston$fit, big))
  # A request body over the byte limit is split too.
  small <- live_endpoint(max_body_bytes = 20000)
  newdata <- boston$prototype[, setdiff(names(boston$prototype), "medv")]
  seen <- record_requests(predict(small, newdata))
  expect_gte(length(Filter(function(r) grepl("/score$", r$url), seen$requests)), 4) # ~75 kB of JSON in requests of < 20 kB
  expect_identical(without_version(seen$value), predict(boston$fit, newdata))
})

test_that("penguins-rf: classes are a factor with the model's levels, NA inputs imputed by its score.R", {
  ep <- live_endpoint()
  penguins <- sample_model("penguins-rf")
  newdata <- penguins$prototype
  expect_true(anyNA(newdata$bill_length_mm) && anyNA(newdata$sex))
  p <- predict(ep, newdata, model = "penguins-rf")
  expect_s3_class(p, "factor")
  expect_identical(levels(p), c("Adelie", "Chinstrap", "Gentoo"))
  expect_identical(without_version(p), local_predict(penguins, newdata))
  expect_false(anyNA(p))
})

test_that("penguins-rf: probabilities are a data frame, one column per class", {
  ep <- live_endpoint()
  penguins <- sample_model("penguins-rf")
  newdata <- penguins$prototype[c(1, 4, 200, 300), ]
  p <- predict(ep, newdata, model = "penguins-rf", type = "prob")
  expect_s3_class(p, "data.frame")
  expect_identical(names(p), c("Adelie", "Chinstrap", "Gentoo"))
  expect_identical(rownames(p), c("1", "4", "200", "300"))
  expect_identical(as.matrix(without_version(p)), unclass(local_predict(penguins, newdata, type = "prob"))[, , drop = FALSE])
})

test_that("mtcars-ridge (a score.R model) with row names", {
  ep <- live_endpoint()
  ridge <- sample_model("mtcars-ridge")
  newdata <- mtcars[c("Mazda RX4", "Valiant", "Volvo 142E"), ]
  p <- predict(ep, newdata, model = "mtcars-ridge")
  expect_identical(names(p), rownames(newdata))
  expect_identical(unname(without_version(p)), unname(local_predict(ridge, newdata)))
})

test_that("an invalid value is an rscoring_invalid_input condition naming the field and row", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  newdata <- boston$prototype[1:6, ]
  newdata$crim[4] <- NA
  err <- expect_error(predict(ep, newdata), class = "rscoring_invalid_input")
  expect_s3_class(err, "rscoring_error")
  expect_identical(err$status, 422L)
  expect_identical(err$errors$field, "crim")
  expect_identical(err$errors$row, 4L)
  expect_identical(err$model$name, "boston-rf")
  expect_match(err$requestId, "^[0-9a-f-]{36}$")
  expect_match(conditionMessage(err), "row 4, crim: is missing or NA", fixed = TRUE)

  penguins <- sample_model("penguins-rf")
  birds <- penguins$prototype[1:12, ]
  birds$island <- factor(as.character(birds$island), levels = c(levels(birds$island), "Atlantis"))
  birds$island[11] <- "Atlantis"
  small <- live_endpoint(max_rows = 4) # the bad row is in the third request: still row 11
  err <- expect_error(predict(small, birds, model = "penguins-rf"), class = "rscoring_invalid_input")
  expect_identical(err$errors$field, "island")
  expect_identical(err$errors$row, 11L)
})

test_that("other refusals are conditions too", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  rows <- boston$prototype[1:2, ]
  expect_error(predict(ep, rows, model = "no-such-model"), class = "rscoring_model_not_found")
  expect_error(predict(ep, rows, model = "boston-rf", version = "99"), class = "rscoring_version_not_found")
  expect_error(predict(ep, rows, type = "prob"), class = "rscoring_unsupported_type")
  wrong <- scoring_endpoint(Sys.getenv("RSCORING_URL"), key = "not-the-key", admin_key = "")
  expect_error(predict(wrong, rows), class = "rscoring_unauthorized")
})
