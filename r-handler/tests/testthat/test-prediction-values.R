# Whatever shape predict() returns, one value per row comes out, or an error that says why.

test_that("vectors, factors, 1-d arrays and named one-column outputs are one value per row", {
  expect_identical(prediction_values(c(a = 1, b = 2), 2L), c(1, 2))
  expect_identical(prediction_values(factor(c("x", "y")), 2L), c("x", "y"))
  expect_identical(prediction_values(array(c(1.5, 2.5), dim = 2L, dimnames = list(c("1", "2"))), 2L), c(1.5, 2.5))
  expect_identical(prediction_values(matrix(c(8.8, 9.9), ncol = 1L, dimnames = list(NULL, "Volume")), 2L), c(8.8, 9.9))
  expect_identical(prediction_values(data.frame(.pred_class = factor(c("a", "b"))), 2L), c("a", "b"))
  expect_identical(prediction_values(c(TRUE, NA), 2L), c(TRUE, NA))
  expect_identical(prediction_values(1:2, 2L), c(1, 2))
  expect_identical(prediction_values(as.Date(c("2026-01-02", NA)), 2L), c("2026-01-02", NA))
})

test_that("matrices and data frames of several columns keep their column names", {
  m <- matrix(c(0.2, 0.7, 0.8, 0.3), ncol = 2L, dimnames = list(c("r1", "r2"), c("no", "yes")))
  expect_identical(prediction_values(m, 2L), matrix(c(0.2, 0.7, 0.8, 0.3), ncol = 2L, dimnames = list(NULL, c("no", "yes"))))
  expect_identical(colnames(prediction_values(as.data.frame(m), 2L)), c("no", "yes"))
  expect_identical(colnames(prediction_values(matrix(1:4, 2L), 2L)), c("V1", "V2"))
  expect_error(prediction_values(data.frame(a = 1:2, b = c("x", "y")), 2L), "not all numeric")
})

test_that("one row's class probabilities dropped to a named vector are one row again", {
  expect_identical(prediction_values(c(setosa = 0.9, versicolor = 0.1), 1L), matrix(c(0.9, 0.1), nrow = 1L, dimnames = list(NULL, c("setosa", "versicolor"))))
})

test_that("arrays of rows x values x 1 (pls) lose their extent-1 dimensions", {
  a <- array(c(1, 2, 3), dim = c(3L, 1L, 1L), dimnames = list(NULL, "mpg", "3 comps"))
  expect_identical(prediction_values(a, 3L), c(1, 2, 3))
  b <- array(1:6 / 10, dim = c(3L, 1L, 2L), dimnames = list(NULL, "y", c("c1", "c2")))
  expect_identical(colnames(prediction_values(b, 3L)), c("c1", "c2"))
  expect_error(prediction_values(array(1:12, dim = c(3L, 2L, 2L)), 3L), "2 x 2 values per row")
})

test_that("lists give the member that holds the predictions, or one vector per row", {
  expect_identical(prediction_values(structure(list(predictions = c(1, 2), num.trees = 50), class = "ranger.prediction"), 2L), c(1, 2))
  expect_identical(prediction_values(list(fit = c(3, 4), se.fit = c(0.1, 0.1)), 2L), c(3, 4))
  expect_identical(prediction_values(list(class = factor(c("a", "b")), posterior = diag(2)), 2L), c("a", "b"))
  rows <- list(c(a = 0.25, b = 0.75), c(a = 1, b = 0))
  expect_identical(prediction_values(rows, 2L), matrix(c(0.25, 1, 0.75, 0), ncol = 2L, dimnames = list(NULL, c("a", "b"))))
  expect_error(prediction_values(list(cprob1 = 1:3, cprob2 = 1:3), 3L), "without predictions \\(members: cprob1, cprob2\\)")
})

test_that("a count of predictions other than the rows' is an error, and so is a model object", {
  expect_error(prediction_values(c(1, 2, 3), 2L), "3 predictions for 2 rows")
  expect_error(prediction_values(lm(mpg ~ wt, mtcars), 2L), "without predictions")
  setClass("ToyOutput", representation(values = "numeric"))
  expect_error(prediction_values(new("ToyOutput", values = 1:2), 2L), "S4 object")
})

test_that("the output kind tells probabilities from other named values", {
  probs <- matrix(c(0.2, 0.8), nrow = 1L, dimnames = list(NULL, c("a", "b")))
  expect_identical(output_kind(probs), list(kind = "probabilities", classes = I(c("a", "b"))))
  expect_identical(output_kind(probs * 2)$kind, "values")
  expect_identical(output_kind(c("a", "b"), factor(c("a", "b"), levels = c("a", "b", "c")))$classes, I(c("a", "b", "c")))
  expect_identical(output_kind(c(1, 2))$kind, "numeric")
})
