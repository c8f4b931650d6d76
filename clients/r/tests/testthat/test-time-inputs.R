test_that("dates go as YYYY-MM-DD, date-times as the instant in UTC with Z, never as R's local text", {
  at <- as.POSIXct(c("2024-02-15 10:30:00", NA, "2024-07-01 00:00:00.25"), tz = "America/New_York")
  expect_identical(rscoring:::iso_instants(at), c("2024-02-15T15:30:00Z", NA, "2024-07-01T04:00:00.25Z"))
  # The same instants shown in another zone, or as POSIXlt, are the same text.
  expect_identical(rscoring:::iso_instants(as.POSIXlt(at, tz = "Asia/Tokyo")), rscoring:::iso_instants(at))
  expect_identical(rscoring:::iso_instants(as.POSIXct("0099-03-01 12:00:00", tz = "UTC")), "0099-03-01T12:00:00Z")
  expect_identical(rscoring:::iso_instants(as.POSIXct("2024-01-01 00:00:00", tz = "UTC") - 1e-7), "2024-01-01T00:00:00Z")
  expect_identical(rscoring:::iso_dates(as.Date(c("2024-02-15", NA, "0099-01-05"))), c("2024-02-15", NA, "0099-01-05"))

  rows <- data.frame(day = as.Date(c("2024-02-15", NA)), at = at[1:2], wait = as.difftime(c(36, NA), units = "hours"))
  expect_identical(rscoring:::rows_json(rows),
                   '{"data":[{"day":"2024-02-15","at":"2024-02-15T15:30:00Z","wait":36},{"day":null,"at":null,"wait":null}]}')
  path <- tempfile(fileext = ".csv")
  rscoring:::write_rows_csv(rows, path)
  expect_identical(readLines(path), c('"day","at","wait"', "2024-02-15,2024-02-15T15:30:00Z,36", "NA,NA,NA"))
})

test_that("a difftime goes in the units of the model's schema", {
  ep <- scoring_endpoint("http://127.0.0.1:9", key = "fk")
  # The version's description, as GET /api/models/m/versions/1 gives it (kept for the session).
  assign("m@1", list(name = "m", version = "1", features = list(
    list(name = "wait", type = "difftime", units = "days"),
    list(name = "lag", type = "numeric")
  )), envir = ep$cache)
  rows <- data.frame(wait = as.difftime(c(36, 12), units = "hours"), lag = as.difftime(c(90, 30), units = "mins"))
  out <- rscoring:::difftimes_in_schema_units(ep, rows, "m", "1")
  expect_identical(out$wait, c(1.5, 0.5))
  # An input the model takes as a plain number keeps the column's own units.
  expect_identical(rscoring:::rows_json(out), '{"data":[{"wait":1.5,"lag":90},{"wait":0.5,"lag":30}]}')
  # Without difftime columns nothing is asked of the app.
  plain <- data.frame(x = 1)
  expect_identical(rscoring:::difftimes_in_schema_units(ep, plain, "m", "2"), plain)
})

test_that("a model on Date, POSIXct and difftime inputs: predict() and a batch equal R's predict()", {
  ep <- live_endpoint()
  skip_without_admin(ep)
  set.seed(3)
  n <- 80
  start <- as.POSIXct("2024-01-01 08:00:00", tz = "America/New_York")
  train <- data.frame(
    day = as.Date("2024-01-01") + sample(0:150, n, TRUE),
    store = factor(sample(c("north", "south"), n, TRUE)),
    at = start + sample(0:(150 * 24), n, TRUE) * 3600 + sample(0:3599, n, TRUE),
    wait = as.difftime(round(runif(n, 0.5, 4), 2), units = "days")
  )
  train$sales <- 100 + 0.5 * as.numeric(train$day) - 0.5 * 19723 + 10 * (train$store == "south") +
    1e-5 * as.numeric(difftime(train$at, start, units = "secs")) - 4 * as.numeric(train$wait) + stats::rnorm(n)
  fit <- eval(bquote(lm(sales ~ day + store + at + wait, data = .(train))), globalenv())
  name <- paste0("rscoring-dates-", format(Sys.time(), "%H%M%S"), "-", paste(sample(letters, 4, TRUE), collapse = ""))
  described <- publish_model(ep, fit, name, "1", prototype = train)
  types <- vapply(described$features, function(f) as.character(f$type), "")
  names(types) <- vapply(described$features, function(f) as.character(f$name), "")
  expect_identical(types[c("day", "at", "wait")], c(day = "date", at = "datetime", wait = "difftime"))

  # The rows as a user may hold them: times shown in another zone, waits in hours.
  newdata <- train[c(5, 1, 30, 77), ]
  expected <- predict(fit, newdata)
  attr(newdata$at, "tzone") <- "Europe/Berlin"
  units(newdata$wait) <- "hours"
  expect_false(identical(unname(predict(fit, newdata)), unname(expected))) # R itself reads the hours as days
  p <- predict(ep, newdata, model = name)
  expect_identical(without_version(p), expected)
  expect_identical(without_version(predict(ep, newdata[2, ], model = name)), expected[2])

  batch <- wait_batch(ep, submit_batch(ep, newdata, model = name, upload = FALSE), timeout = 120)
  expect_identical(batch$state, "succeeded")
  expect_identical(batch_results(ep, batch)$prediction, unname(expected))

  bad <- newdata
  bad$day <- as.character(bad$day)
  bad$day[3] <- "2024-02-30"
  err <- expect_error(predict(ep, bad, model = name), class = "rscoring_invalid_input")
  expect_identical(err$errors$field, "day")
  expect_identical(err$errors$row, 3L)
  expect_identical(err$errors$message, "must be a date (YYYY-MM-DD)")
})
