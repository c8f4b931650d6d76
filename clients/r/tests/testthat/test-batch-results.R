# batch_results() for every kind of output a prediction type has (numeric, class,
# probabilities, logical, several values), read from the results CSV as the app writes it,
# and equal to predict() on the same rows; and the rows a cancelled batch scored.

test_that("a class batch's CSV gives one prediction factor, whatever the header names after row and rowName", {
  path <- tempfile(fileext = ".csv")
  # As the app writes a class type whose output lists the model's levels: those levels in
  # the header, one class per row (functions/batch/assembleResults.ts, resultColumns()).
  writeLines(c("row,rowName,Adelie,Chinstrap,Gentoo", "0,a,Adelie", "1,b,Gentoo", "2,c,"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "class", classes = c("Adelie", "Chinstrap", "Gentoo")))
  expect_identical(names(out), c("row", "rowName", "prediction"))
  expect_identical(out$prediction, factor(c("Adelie", "Gentoo", NA), levels = c("Adelie", "Chinstrap", "Gentoo")))
  writeLines(c("row,prediction", "0,Chinstrap"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "class", classes = c("Adelie", "Chinstrap", "Gentoo")))
  expect_identical(out$prediction, factor("Chinstrap", levels = c("Adelie", "Chinstrap", "Gentoo")))
  writeLines(c("row,prediction", "0,true", "1,false", "2,"), path)
  expect_identical(rscoring:::read_results_csv(path, list(kind = "logical"))$prediction, c(TRUE, FALSE, NA))
  writeLines(c("row,fit,lwr,upr", "1,1.5,0.30000000000000004,2", "0,-1,,3"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "values", columns = c("fit", "lwr", "upr")))
  expect_identical(out, data.frame(row = 1:2, fit = c(-1, 1.5), lwr = c(NA, 0.1 + 0.2), upr = c(3, 2)))
})

# The rows of `batch_results()` as predict() gives them: the value columns, unnamed.
as_predicted <- function(results, prediction) {
  values <- results[setdiff(names(results), c("row", "rowName"))]
  if (is.data.frame(prediction)) {
    rownames(values) <- NULL
    return(values)
  }
  values$prediction
}

unnamed <- function(p) {
  p <- without_version(p)
  if (is.data.frame(p)) rownames(p) <- NULL else names(p) <- NULL
  p
}

test_that("every output kind comes out of batch_results() as predict() gives it", {
  ep <- live_endpoint()
  skip_without_admin(ep)
  testthat::skip_if_not_installed("randomForest")
  suffix <- paste(sample(letters, 6, TRUE), collapse = "")
  # A randomForest classifier published with no score.R: its class type lists the levels.
  forest_name <- paste0("rscoring-test-forest-", suffix)
  forest <- fit_at_top_level({ set.seed(7); randomForest::randomForest(Species ~ ., data = iris, ntree = 25) })
  publish_model(ep, forest, forest_name, "1", prototype = iris)
  # A score() with several values per row (an interval) and a logical type.
  cars_name <- paste0("rscoring-test-kinds-", suffix)
  cars <- fit_at_top_level(lm(mpg ~ wt + hp, data = mtcars))
  score <- function(model, newdata, type = "interval") {
    if (type == "heavy") return(unname(stats::predict(model, newdata) < 20))
    stats::predict(model, newdata, interval = "confidence")
  }
  attr(score, "score_types") <- c("interval", "heavy")
  publish_model(ep, cars, cars_name, "1", prototype = mtcars, score = score)

  boston <- sample_model("boston-rf")
  houses <- boston$prototype[1:40, ]
  rownames(houses) <- NULL
  flowers <- iris[c(1:20, 51:70, 101:120), -5]
  rownames(flowers) <- paste0("flower-", seq_len(nrow(flowers)))
  cases <- list(
    list(model = "boston-rf", data = houses, type = NULL, kind = "numeric"),
    list(model = forest_name, data = flowers, type = NULL, kind = "class"),
    list(model = forest_name, data = flowers, type = "prob", kind = "probabilities"),
    list(model = cars_name, data = mtcars, type = "heavy", kind = "logical"),
    list(model = cars_name, data = mtcars, type = "interval", kind = "values")
  )
  for (case in cases) {
    label <- paste(case$model, if (is.null(case$type)) "(default type)" else case$type)
    expected <- predict(ep, case$data, model = case$model, type = case$type)
    done <- wait_batch(ep, submit_batch(ep, case$data, model = case$model, type = case$type, chunk_size = 7, upload = FALSE), timeout = 120)
    expect_identical(done$state, "succeeded", label = label)
    results <- batch_results(ep, done)
    expect_identical(results$row, seq_len(nrow(case$data)), label = label)
    if (.row_names_info(case$data) < 0L) expect_null(results$rowName, label = label) else expect_identical(results$rowName, rownames(case$data), label = label)
    expect_identical(as_predicted(results, expected), unnamed(expected), label = label)
    if (case$kind == "class") {
      expect_identical(names(results), c("row", "rowName", "prediction"), label = label)
      expect_identical(unname(results$prediction), unname(predict(forest, case$data)), label = label)
    }
    if (case$kind == "logical") expect_type(results$prediction, "logical")
    if (case$kind == "values") expect_identical(names(results), c("row", "rowName", "fit", "lwr", "upr"), label = label)
  }
})

test_that("a cancelled batch gives the rows it scored with partial = TRUE", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  big <- boston$prototype[rep(seq_len(nrow(boston$prototype)), length.out = 40000), ]
  rownames(big) <- NULL
  batch <- submit_batch(ep, big, model = "boston-rf", chunk_size = 100, upload = FALSE)
  expect_true(eventually(function() batch_status(ep, batch)$chunks$done >= 1L, timeout = 120))
  cancelled <- cancel_batch(ep, batch)
  expect_identical(wait_batch(ep, batch, timeout = 60)$state, "cancelled")
  expect_error(batch_results(ep, cancelled), "partial = TRUE", class = "rscoring_batch_cancelled")
  partial <- batch_results(ep, cancelled, partial = TRUE)
  expect_gt(nrow(partial), 0L)
  expect_lt(nrow(partial), nrow(big))
  expect_identical(nrow(partial) %% 100L, 0L) # whole chunks only
  expect_false(anyDuplicated(partial$row) > 0L)
  expect_identical(partial$prediction, unname(predict(boston$fit, big[partial$row, ])))
})
