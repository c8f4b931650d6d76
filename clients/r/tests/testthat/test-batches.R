test_that("a batch from a data frame gives R's predictions in input order, with row names", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  newdata <- boston$prototype[nrow(boston$prototype):1, ]
  rownames(newdata) <- paste0("house-", seq_len(nrow(newdata)))
  rownames(newdata)[1:3] <- c("Ünïcode ✓", "a,comma", "a \"quote\"")
  batch <- submit_batch(ep, newdata, model = "boston-rf", chunk_size = 100, upload = FALSE)
  expect_s3_class(batch, "scoring_batch")
  expect_true(batch$state %in% c("queued", "running", "succeeded"))
  expect_identical(batch$chunks$total, 6L)
  done <- wait_batch(ep, batch, timeout = 120)
  expect_identical(done$state, "succeeded")
  results <- batch_results(ep, done)
  expect_identical(names(results), c("row", "rowName", "prediction"))
  expect_identical(results$row, seq_len(nrow(newdata)))
  expect_identical(results$rowName, rownames(newdata))
  expect_identical(results$prediction, unname(predict(boston$fit, newdata)))
})

test_that("a batch through an upload URL (one PUT, or blocks) gives the same results", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  newdata <- boston$prototype
  expected <- unname(predict(boston$fit, newdata))
  batch <- submit_batch(ep, newdata, model = "boston-rf", upload = TRUE)
  expect_identical(batch$state, "validating") # answered at once; the rows are checked by a queued job
  results <- batch_results(ep, wait_batch(ep, batch, timeout = 120))
  expect_identical(results$prediction, expected)
  expect_identical(results$row, seq_len(nrow(newdata)))

  withr::local_options(rscoring.upload_single_put_max = 1000, rscoring.upload_block_size = 8192)
  batch <- submit_batch(ep, newdata, model = "boston-rf", upload = TRUE)
  expect_identical(batch_results(ep, wait_batch(ep, batch, timeout = 120))$prediction, expected)
})

test_that("the results link is followed without the function key", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  batch <- wait_batch(ep, submit_batch(ep, boston$prototype[1:50, ], model = "boston-rf"), timeout = 120)
  seen <- record_requests(batch_results(ep, batch))
  expect_identical(seen$value$prediction, unname(predict(boston$fit, boston$prototype[1:50, ])))
  api <- Filter(function(r) startsWith(r$url, ep$url), seen$requests)
  storage <- Filter(function(r) !startsWith(r$url, ep$url), seen$requests)
  expect_length(storage, 1)
  expect_null(storage[[1]]$headers[["x-functions-key"]])
  for (r in c(api, storage)) expect_identical(r$options$followlocation, 0L)
  expect_true(all(vapply(api, function(r) identical(r$headers[["x-functions-key"]], Sys.getenv("RSCORING_KEY")), NA)))
})

test_that("a CSV file batch of class probabilities, and of classes (a factor)", {
  ep <- live_endpoint()
  penguins <- sample_model("penguins-rf")
  newdata <- penguins$prototype[setdiff(names(penguins$prototype), "species")]
  path <- tempfile(fileext = ".csv")
  utils::write.csv(newdata, path, row.names = FALSE)
  probs <- batch_results(ep, wait_batch(ep, submit_batch(ep, path, model = "penguins-rf", type = "prob"), timeout = 120))
  expect_identical(names(probs), c("row", "Adelie", "Chinstrap", "Gentoo"))
  expect_identical(unname(as.matrix(probs[-1])), unname(unclass(local_predict(penguins, newdata, type = "prob"))[, , drop = FALSE]))
  classes <- batch_results(ep, wait_batch(ep, submit_batch(ep, path, model = "penguins-rf"), timeout = 120))
  expect_identical(classes$prediction, unname(local_predict(penguins, newdata)))
})

test_that("an NDJSON file goes through an upload", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  rows <- boston$prototype[1:40, setdiff(names(boston$prototype), "medv")]
  path <- tempfile(fileext = ".ndjson")
  jsonlite::stream_out(rows, file(path), verbose = FALSE) # the values have few digits: 15 are exact
  expect_error(submit_batch(ep, path, model = "boston-rf", upload = FALSE), "NDJSON")
  batch <- submit_batch(ep, path, model = "boston-rf")
  expect_identical(batch$state, "validating")
  expect_identical(batch_results(ep, wait_batch(ep, batch, timeout = 120))$prediction, unname(predict(boston$fit, rows)))
})

test_that("an Idempotency-Key makes a retried submit the same batch", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  key <- paste0("rscoring-test-", paste(sample(letters, 12, TRUE), collapse = ""))
  first <- submit_batch(ep, boston$prototype[1:20, ], model = "boston-rf", idempotency_key = key)
  again <- submit_batch(ep, boston$prototype[1:20, ], model = "boston-rf", idempotency_key = key)
  expect_identical(again$id, first$id)
})

test_that("bad rows: refused at submit (direct), or the batch fails (upload)", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  newdata <- boston$prototype[1:30, ]
  newdata$rm[17] <- NA
  err <- expect_error(submit_batch(ep, newdata, model = "boston-rf", upload = FALSE), class = "rscoring_invalid_input")
  expect_identical(err$errors$field, "rm")
  expect_identical(err$errors$row, 17L)
  failed <- wait_batch(ep, submit_batch(ep, newdata, model = "boston-rf", upload = TRUE), timeout = 120)
  expect_identical(failed$state, "failed")
  err <- expect_error(batch_results(ep, failed), class = "rscoring_batch_failed")
  expect_match(conditionMessage(err), "row 17, rm", fixed = TRUE)
})

test_that("cancel, waiting past a timeout, and cancelling a finished batch", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  big <- boston$prototype[rep(seq_len(nrow(boston$prototype)), length.out = 50000), ]
  rownames(big) <- NULL
  batch <- submit_batch(ep, big, model = "boston-rf", chunk_size = 100, upload = TRUE)
  expect_error(wait_batch(ep, batch, timeout = 0), class = "rscoring_wait_timeout")
  cancelled <- cancel_batch(ep, batch)
  expect_identical(cancelled$state, "cancelled")
  expect_identical(wait_batch(ep, batch, timeout = 30)$state, "cancelled")
  expect_error(batch_results(ep, batch), class = "rscoring_batch_cancelled")

  done <- wait_batch(ep, submit_batch(ep, boston$prototype[1:5, ], model = "boston-rf"), timeout = 120)
  expect_error(cancel_batch(ep, done), class = "rscoring_batch_finished")
  expect_error(batch_status(ep, "00000000-0000-0000-0000-000000000000"), class = "rscoring_batch_not_found")
})
