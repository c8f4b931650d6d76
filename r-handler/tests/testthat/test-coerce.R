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

test_that("characters with levels become factors; dates, date-times and durations their R classes", {
  typed <- list(
    list(name = "g", type = "character", levels = c("lo", "hi"), nullable = FALSE),
    list(name = "d", type = "date", nullable = TRUE),
    list(name = "t", type = "datetime", timezone = "Europe/Paris", nullable = FALSE),
    list(name = "s", type = "difftime", units = "hours", nullable = FALSE)
  )
  df <- coerce_columns(list(g = c("hi", "lo"), d = c("2024-02-29", NA), t = c("2024-06-01T10:00:00Z", "2024-06-01 12:00"),
                            s = c(1.5, 2L)), typed, 2L)
  expect_identical(df$g, factor(c("hi", "lo"), levels = c("lo", "hi")))
  expect_identical(df$d, as.Date(c("2024-02-29", NA)))
  expect_identical(df$t, as.POSIXct(c("2024-06-01 12:00", "2024-06-01 12:00"), tz = "Europe/Paris"))
  expect_identical(df$s, as.difftime(c(1.5, 2), units = "hours"))
  bad <- list(g = c("hi", "mid"), d = c("2024-02-29", "29/02/2024"), t = c("noon", "2024-06-01T10:00+02:00"), s = c(TRUE, FALSE))
  err <- tryCatch(coerce_columns(bad, typed, 2L), scoring_error = identity)
  got <- vapply(err$errors, function(e) paste(e$field, e$row, e$message), "")
  expect_identical(got, c("g 1 is not one of the levels seen in training: lo, hi", "d 1 must be a date (YYYY-MM-DD)",
                          "t 0 must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)",
                          "s 0 must be a number (of hours)", "s 1 must be a number (of hours)"))
})
