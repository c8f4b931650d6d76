# Predictions through the handler equal predict() on the same rows, bit for bit: each
# number's text is compared with the 17-digit text of the value predict() returns.

score_out <- function(svc, frame, type = NULL) {
  out <- score_route(svc, columns_body(frame, type))
  expect_identical(out$status, 200L, info = out$body)
  out
}

score_frame <- function(svc, frame, type = NULL) json_of(score_out(svc, frame, type))

expect_exact <- function(out, expected) {
  expect_identical(prediction_tokens(out), exact(unname(expected)))
}

test_that("Boston random forest (regression) equals predict()", {
  svc <- loaded_service("boston-rf")
  rows <- prototype("boston-rf")[, vapply(svc$schema$features, `[[`, "", "name")]
  out <- score_out(svc, rows)
  expect_exact(out, predict(svc$model, rows))
  expect_identical(json_of(out)$rows, nrow(rows))
})

test_that("penguins random forest gives classes and per-class probabilities", {
  svc <- loaded_service("penguins-rf")
  rows <- stats::na.omit(prototype("penguins-rf"))
  got <- score_frame(svc, rows)
  expect_identical(got$predictions, as.character(unname(predict(svc$model, rows))))
  out <- score_out(svc, rows, type = "prob")
  expected <- predict(svc$model, rows, type = "prob")
  expect_identical(names(json_of(out)$predictions), colnames(expected))
  for (cls in colnames(expected)) expect_identical(class_tokens(out, cls), exact(unname(expected[, cls])))
})

test_that("penguins with missing values are filled by score.R", {
  svc <- loaded_service("penguins-rf")
  rows <- prototype("penguins-rf")
  rows <- rows[!stats::complete.cases(rows), ]
  got <- score_frame(svc, rows)
  expect_false(anyNA(got$predictions))
  expect_length(got$predictions, nrow(rows))
})

test_that("lm equals predict()", {
  svc <- loaded_service("mtcars-lm")
  expect_exact(score_out(svc, mtcars[, c("wt", "hp", "cyl")]), predict(svc$model, mtcars))
})

test_that("binomial glm gives response and link", {
  svc <- loaded_service("mtcars-glm")
  rows <- mtcars[, c("wt", "hp")]
  expect_exact(score_out(svc, rows), predict(svc$model, mtcars, type = "response"))
  expect_exact(score_out(svc, rows, "link"), predict(svc$model, mtcars, type = "link"))
})

test_that("glmnet through score.R equals predict() at the chosen penalty", {
  svc <- loaded_service("boston-glmnet")
  x <- as.matrix(MASS::Boston[, rownames(svc$model$beta)])
  expect_exact(score_out(svc, MASS::Boston[, rownames(svc$model$beta)]), drop(predict(svc$model, newx = x, s = 0.05)))
})

test_that("lm.ridge through score.R equals its coefficients applied", {
  svc <- loaded_service("mtcars-ridge")
  rows <- mtcars[, names(svc$model$xm)]
  expect_exact(score_out(svc, rows), drop(cbind(1, as.matrix(rows)) %*% coef(svc$model)))
})

test_that("an unknown prediction type is a 422 naming the offered types", {
  svc <- loaded_service("boston-rf")
  out <- score_route(svc, columns_body(prototype("boston-rf")[1, ], type = "prob"))
  expect_identical(out$status, 422L)
  expect_match(json_of(out)$detail, "response")
})

test_that("an error inside predict() is a clean 500 without a traceback", {
  svc <- loaded_service("boston-rf")
  svc$scorer$fn <- function(newdata, type) stop("secret internal state at frame 7")
  out <- score_route(svc, columns_body(prototype("boston-rf")[1, ]))
  expect_identical(out$status, 500L)
  expect_identical(out$type, "application/problem+json")
  expect_identical(json_of(out)$code, "prediction_failed")
  expect_no_match(out$body, "secret|frame|Error in")
})

test_that("R's message goes to the app that runs the handler as its worker, not into the detail", {
  svc <- loaded_service("boston-rf")
  svc$scorer$fn <- function(newdata, type) stop("lstat must be below 40\nsee the\tmodel card")
  svc$report_errors <- TRUE
  body <- json_of(score_route(svc, columns_body(prototype("boston-rf")[1, ])))
  expect_identical(body$rMessage, "lstat must be below 40 see the\tmodel card")
  expect_identical(body$detail, "The model could not score these rows.")
  svc$report_errors <- FALSE
  svc$debug <- TRUE
  body <- json_of(score_route(svc, columns_body(prototype("boston-rf")[1, ])))
  expect_null(body$rMessage)
  expect_match(body$detail, "lstat must be below 40", fixed = TRUE)
})

test_that("a model that does not load leaves the service failed, not ready", {
  dir <- tempfile()
  dir.create(dir)
  saveRDS(list(a = 1), file.path(dir, "model.rds"))
  svc <- load_service(new_service(dir))
  expect_identical(svc$state, "failed")
  expect_identical(ready_route(svc)$status, 503L)
  expect_identical(score_route(svc, charToRaw("{}"))$status, 503L)
})

test_that("a non-JSON content type is a 415", {
  svc <- loaded_service("boston-rf")
  expect_identical(score_route(svc, charToRaw("a,b"), "text/csv")$status, 415L)
})

test_that("before loading, /ready is 503 loading and /live is 200", {
  svc <- new_service(model_dir("boston-rf"))
  expect_identical(ready_route(svc)$status, 503L)
  expect_identical(json_of(ready_route(svc))$status, "loading")
  expect_identical(live_route(svc)$status, 200L)
})
