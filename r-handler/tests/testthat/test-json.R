test_that("numbers are written with 17 significant digits, which identify a double", {
  set.seed(1)
  x <- c(0.1, 1 / 3, pi, 1e-300, 1.7976931348623157e308, 4.1300527089209496,
         runif(200) * 10^sample(-20:20, 200, replace = TRUE))
  expect_identical(format_numbers(x), sprintf("%.17g", x))
})

test_that("whole numbers stay short", {
  expect_identical(format_numbers(c(25, -3, 0)), c("25", "-3", "0"))
})

test_that("NA, NaN and infinities become null", {
  expect_identical(predictions_json(c(1, NA, NaN, Inf, -Inf)), "[1,null,null,null,null]")
})

test_that("a probability matrix becomes one named object per row", {
  m <- matrix(c(0.25, 0.75, 1, 0), nrow = 2, byrow = TRUE, dimnames = list(NULL, c("a", "b\"q")))
  expect_identical(predictions_json(m), '[{"a":0.25,"b\\"q":0.75},{"a":1,"b\\"q":0}]')
})

test_that("class labels are strings and missing labels null", {
  expect_identical(predictions_json(factor(c("x", NA, "y"))), '["x",null,"y"]')
})
