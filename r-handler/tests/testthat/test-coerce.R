features <- list(
  list(name = "n", type = "numeric", nullable = FALSE),
  list(name = "i", type = "integer", nullable = FALSE),
  list(name = "f", type = "factor", levels = c("lo", "hi"), nullable = TRUE),
  list(name = "b", type = "logical", nullable = FALSE)
)

coerce_error <- function(columns, n = 2L) tryCatch(coerce_columns(columns, features, n), scoring_error = identity)

test_that("columns become the training types", {
  df <- coerce_columns(list(n = c(1L, 2L), i = c(3, 4), f = c("hi", NA), b = c(TRUE, FALSE)), features, 2L)
  expect_identical(df$n, c(1, 2))
  expect_identical(df$i, c(3L, 4L))
  expect_identical(df$f, factor(c("hi", NA), levels = c("lo", "hi")))
  expect_identical(df$b, c(TRUE, FALSE))
  expect_identical(nrow(df), 2L)
})

test_that("a missing column is a 422 naming the field", {
  err <- coerce_error(list(n = c(1, 2), i = c(1, 2), f = c("lo", "hi")))
  expect_identical(err$status, 422L)
  expect_identical(err$errors[[1]]$field, "b")
  expect_match(err$errors[[1]]$message, "is missing or NA; this model cannot score without it", fixed = TRUE)
})

test_that("a value of the wrong type is a 422 naming the field and row", {
  err <- coerce_error(list(n = c("1.5", "x"), i = c(1, 2), f = c("lo", "hi"), b = c(TRUE, TRUE)))
  expect_identical(err$errors[[1]]$field, "n")
  expect_identical(err$errors[[1]]$row, 1L)
  expect_identical(err$errors[[1]]$pointer, "/columns/n/1")
})

test_that("a fraction where an integer is expected is a 422 at its row", {
  err <- coerce_error(list(n = c(1, 2), i = c(1, 2.5), f = c("lo", "hi"), b = c(TRUE, TRUE)))
  expect_identical(err$errors[[1]]$field, "i")
  expect_identical(err$errors[[1]]$row, 1L)
})

test_that("a factor level unseen in training is a 422 at its row", {
  err <- coerce_error(list(n = c(1, 2), i = c(1, 2), f = c("medium", "hi"), b = c(TRUE, TRUE)))
  expect_identical(err$code, "invalid_input")
  expect_identical(err$errors[[1]]$field, "f")
  expect_identical(err$errors[[1]]$row, 0L)
  expect_match(err$errors[[1]]$message, "lo, hi")
})

test_that("null where the schema forbids it is a 422", {
  err <- coerce_error(list(n = c(1, NA), i = c(1, 2), f = c(NA, NA), b = c(TRUE, TRUE)))
  expect_length(err$errors, 1L)
  expect_identical(err$errors[[1]]$field, "n")
  expect_identical(err$errors[[1]]$row, 1L)
})

test_that("a string where a logical is expected is a 422", {
  err <- coerce_error(list(n = c(1, 2), i = c(1, 2), f = c("lo", "hi"), b = c("yes", "no")))
  expect_identical(err$errors[[1]]$field, "b")
})

test_that("every bad field is reported at once", {
  err <- coerce_error(list(n = c("a", "b"), i = c(0.5, 1), f = c("x", "hi")))
  expect_setequal(vapply(err$errors, `[[`, "", "field"), c("n", "i", "f", "b"))
})

test_that("nested values are a 422", {
  err <- coerce_error(list(n = list(1, list(2, 3)), i = c(1, 2), f = c("lo", "hi"), b = c(TRUE, TRUE)))
  expect_identical(err$errors[[1]]$field, "n")
  expect_identical(err$errors[[1]]$row, 1L)
})
