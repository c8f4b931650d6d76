test_that("doubles are written with the fewest digits that read back as the same double", {
  x <- c(0.1 + 0.2, 1 / 3, pi * 1e-300, .Machine$double.xmax, 5e-324, 0.538, 18, -2.5, 1e21, 123456789.123456789)
  text <- rscoring:::exact_number_text(x)
  expect_identical(text[c(1, 2, 6, 7)], c("0.30000000000000004", "0.3333333333333333", "0.538", "18"))
  expect_identical(rscoring:::read_exact_numbers(text), x)
  # jsonlite alone keeps 15 significant digits, whatever `digits` says: not exact.
  expect_false(identical(jsonlite::fromJSON(as.character(jsonlite::toJSON(x, digits = NA))), x))
})

test_that("many random doubles round-trip exactly, and NA, NaN and Inf are null", {
  set.seed(42)
  x <- runif(20000) * 10^runif(20000, -8, 8) * sample(c(-1, 1), 20000, replace = TRUE)
  expect_identical(rscoring:::read_exact_numbers(rscoring:::exact_number_text(x)), x)
  expect_identical(rscoring:::exact_number_text(c(NA, NaN, Inf, -Inf)), rep("null", 4))
  expect_identical(rscoring:::exact_number_text(c(NA, 1.5), na = "NA"), c("NA", "1.5"))
  expect_identical(rscoring:::read_exact_numbers(c("", "NA", "2.5")), c(NA, NA, 2.5))
})
