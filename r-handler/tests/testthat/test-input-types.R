# Inputs as R users train on them: integers the model takes as any number, characters it
# took as categories, dates, date-times in a time zone and durations; each described,
# checked and scored through the handler equal to predict() on the same rows.

# A model directory (model.rds, model.json described from the prototype, score.R) and its
# loaded service.
served <- function(model, prototype, score = NULL, response = NULL) {
  dir <- tempfile("model-")
  dir.create(dir)
  saveRDS(model, file.path(dir, "model.rds"))
  score_path <- NULL
  if (!is.null(score)) {
    score_path <- file.path(dir, "score.R")
    writeLines(score, score_path)
  }
  writeLines(schema_json(describe_model(model, score_path, prototype, response)$schema), file.path(dir, "model.json"))
  svc <- load_service(new_service(dir))
  if (!identical(svc$state, "ready")) stop("the model did not load: ", svc$error)
  svc
}

features_by_name <- function(svc) stats::setNames(svc$schema$features, vapply(svc$schema$features, `[[`, "", "name"))

# Rows as JSON columns, written with base R: numbers to the last bit, dates as
# "YYYY-MM-DD", date-times in the form asked for (UTC with "Z", the zone's offset as
# "+HH:MM" or "+HHMM", or the local time in the zone with a space and no offset), durations
# as numbers.
json_columns <- function(frame, datetime = c("Z", "colon", "hhmm", "local")) {
  datetime <- match.arg(datetime)
  cols <- lapply(frame, function(v) {
    if (inherits(v, "Date")) return(format(v, "%Y-%m-%d"))
    if (inherits(v, "POSIXct")) {
      return(switch(datetime,
        Z = format(v, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
        colon = sub("([0-9]{2})([0-9]{2})$", "\\1:\\2", format(v, "%Y-%m-%dT%H:%M:%S%z")),
        hhmm = format(v, "%Y-%m-%dT%H:%M:%S%z"),
        local = format(v, "%Y-%m-%d %H:%M:%S")))
    }
    if (inherits(v, "difftime")) return(as.double(v))
    if (is.factor(v)) as.character(v) else v
  })
  charToRaw(columns_json(cols))
}

# {"columns": {...}} with every double to 17 significant digits (jsonlite writes 15).
columns_json <- function(cols) {
  values <- vapply(cols, function(v) {
    if (is.double(v)) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.17g", v)), collapse = ","), "]")
    else as.character(jsonlite::toJSON(v, na = "null"))
  }, "")
  paste0('{"columns":{', paste0('"', names(cols), '":', values, collapse = ","), "}}")
}

json_body <- function(x) charToRaw(as.character(jsonlite::toJSON(x, auto_unbox = TRUE, digits = NA, na = "null")))

# The service's answer for the rows equals predict() on them, several rows and one.
expect_scores_as_predict <- function(svc, model, rows, ...) {
  for (r in list(rows, rows[1L, , drop = FALSE])) {
    out <- score_route(svc, json_columns(r, ...))
    expect_identical(out$status, 200L, info = out$body)
    expect_identical(predictions_text(out), expected_json(predict(model, r)))
  }
}

problem_errors <- function(out) jsonlite::fromJSON(out$body, simplifyVector = FALSE)$errors

sales <- local({
  set.seed(20)
  n <- 60
  d <- data.frame(
    day = as.Date("2024-01-01") + sample(0:120, n, replace = TRUE),
    store = sample(c("north", "south", "east"), n, replace = TRUE),
    promo = sample(c(TRUE, FALSE), n, replace = TRUE),
    stringsAsFactors = FALSE
  )
  d$sales <- 100 + 0.3 * as.numeric(d$day - as.Date("2024-01-01")) + 5 * (d$store == "south") + 8 * d$promo + rnorm(n)
  d
})

# Visits in New York over the change to daylight saving time (2024-03-10), the hour of day
# read in the stored zone, and how long each lasted.
visits <- local({
  set.seed(21)
  n <- 80
  d <- data.frame(
    at = as.POSIXct("2024-03-01 00:00:00", tz = "America/New_York") + sample(0:(20 * 86400), n),
    stay = as.difftime(round(runif(n, 5, 120)), units = "mins"),
    visitors = sample(1:40, n, replace = TRUE)
  )
  d$spend <- 20 + 0.5 * as.POSIXlt(d$at)$hour + 0.1 * as.numeric(d$stay) + rnorm(n)
  d
})

test_that("a Date input is described as a date, its range as ISO dates, and scores as predict()", {
  model <- lm(sales ~ day + store + promo, data = sales)
  svc <- served(model, sales)
  f <- features_by_name(svc)
  expect_identical(f$day$type, "date")
  expect_identical(f$day$min, format(min(sales$day)))
  expect_identical(f$day$max, format(max(sales$day)))
  expect_identical(svc$schema$example$day, format(sales$day[1]))
  expect_identical(schema_example(svc$schema)$day, sales$day[1])
  expect_scores_as_predict(svc, model, spread_rows(sales[, c("day", "store", "promo")]))
})

test_that("a model without a prototype takes its Date input from its own frame", {
  model <- lm(sales ~ day + promo, data = sales)
  schema <- describe_model(model)$schema
  expect_identical(schema$features[[1]]$type, "date")
  expect_identical(schema$example$day, format(sales$day[1]))
})

test_that("a POSIXct input keeps its time zone, and takes Z, offsets and local times alike", {
  model <- lm(spend ~ at + I(as.POSIXlt(at)$hour) + stay, data = visits)
  svc <- served(model, visits, response = "spend")
  f <- features_by_name(svc)
  expect_identical(f$at$type, "datetime")
  expect_identical(f$at$timezone, "America/New_York")
  expect_identical(f$at$min, format(min(visits$at), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"))
  expect_match(svc$schema$example$at, "^2024-03-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
  rows <- spread_rows(visits[, c("at", "stay", "visitors")])
  expect_true(any(rows$at < as.POSIXct("2024-03-10", tz = "America/New_York")) &&
              any(rows$at > as.POSIXct("2024-03-11", tz = "America/New_York")))
  for (form in c("Z", "colon", "hhmm", "local")) expect_scores_as_predict(svc, model, rows, datetime = form)
  # The hour is read in New York: in UTC the predictions would differ.
  utc <- rows
  attr(utc$at, "tzone") <- "UTC"
  expect_false(identical(unname(predict(model, utc)), unname(predict(model, rows))))
})

test_that("date-times with fractions of a second, and without seconds, are read as as.POSIXct() reads them", {
  text <- c("2024-03-01 09:15:30.25", "2024-03-01 09:15")
  expected <- as.POSIXct(text, tz = "America/New_York", format = "%Y-%m-%d %H:%M:%OS")
  expected[2] <- as.POSIXct(text[2], tz = "America/New_York", format = "%Y-%m-%d %H:%M")
  expect_identical(parse_iso_datetime(text, "America/New_York"), expected)
  expect_identical(parse_iso_datetime("2024-03-01T14:15:30.25Z", "America/New_York"), expected[1])
  expect_identical(format_iso_datetime(expected), c("2024-03-01T14:15:30.25Z", "2024-03-01T14:15:00Z"))
})

test_that("a difftime input is a number in its units", {
  model <- lm(spend ~ stay + visitors, data = visits)
  svc <- served(model, visits[, c("spend", "stay", "visitors")])
  f <- features_by_name(svc)
  expect_identical(f$stay$type, "difftime")
  expect_identical(f$stay$units, "mins")
  expect_equal(f$stay$min, min(as.double(visits$stay)))
  expect_equal(svc$schema$example$stay, as.double(visits$stay[1]))
  expect_scores_as_predict(svc, model, spread_rows(visits[, c("stay", "visitors")]))
})

test_that("bad dates, date-times and durations are 422s at their rows, in every body form", {
  model <- lm(spend ~ at + stay, data = visits)
  svc <- served(model, visits[, c("spend", "at", "stay")])
  cols <- list(at = c("2024-03-01T10:00:00Z", "2024-03-01", "2024-03-10 02:30", "2024-03-01T25:00Z", "03/01/2024 10:00"),
               stay = c(10, 20, 30, 40, 50))
  out <- score_route(svc, json_body(list(columns = cols)))
  expect_identical(out$status, 422L)
  errors <- problem_errors(out)
  expect_identical(vapply(errors, `[[`, 0L, "row"), 1:4)
  expect_identical(unique(vapply(errors, `[[`, "", "message")), "must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)")
  expect_identical(errors[[1]]$pointer, "/columns/at/1")

  records <- list(data = list(list(at = "2024-03-01T10:00:00+01:00", stay = "ten"),
                              list(at = "2024-03-01T10:00:00+0100", stay = 5)))
  errors <- problem_errors(score_route(svc, json_body(records)))
  expect_length(errors, 1L)
  expect_identical(errors[[1]][c("field", "message", "row", "pointer")],
                   list(field = "stay", message = "must be a number (of mins)", row = 0L, pointer = "/data/0/stay"))

  dates <- served(lm(sales ~ day, data = sales), sales[, c("sales", "day")])
  split <- charToRaw('{"columns": ["day"], "data": [["2024-02-30"], ["2024-02-15"], [20240215], ["2024-2-15"]]}')
  errors <- problem_errors(score_route(dates, split))
  expect_identical(vapply(errors, `[[`, "", "pointer"), c("/data/0/0", "/data/2/0", "/data/3/0"))
  expect_identical(unique(vapply(errors, `[[`, "", "message")), "must be a date (YYYY-MM-DD)")
  errors <- problem_errors(score_route(dates, charToRaw('{"columns": ["day"], "data": [["2024-02-15"], [null]]}')))
  expect_identical(errors[[1]][c("message", "pointer")], list(message = MISSING_MESSAGE, pointer = "/data/1/0"))
})

test_that("column frames carry dates and date-times as strings and durations as doubles", {
  model <- lm(spend ~ at + stay, data = visits)
  svc <- served(model, visits[, c("spend", "at", "stay")])
  rows <- visits[1:4, c("at", "stay")]
  header <- list(rows = 4L, columns = list(
    list(name = "at", kind = "string", values = I(format(rows$at, "%Y-%m-%dT%H:%M:%S%z"))),
    list(name = "stay", kind = "double")))
  frame <- c(charToRaw(as.character(jsonlite::toJSON(header, auto_unbox = TRUE))), as.raw(10L),
             writeBin(as.double(rows$stay), raw(), size = 8L, endian = "little"))
  out <- score_route(svc, frame, FRAME_CONTENT_TYPE)
  expect_identical(out$status, 200L)
  expect_identical(decode_doubles(jsonlite::fromJSON(out$body)$predictions64), unname(predict(model, rows)))
})

test_that("a CSV prototype's dates and date-times are read as the model fitted them", {
  csv <- tempfile(fileext = ".csv")
  d <- cbind(sales, at = visits$at[seq_len(nrow(sales))], stay = visits$stay[seq_len(nrow(sales))])
  utils::write.csv(d, csv, row.names = FALSE)
  prototype <- utils::read.csv(csv, stringsAsFactors = TRUE)
  model <- lm(sales ~ day + store + at + stay, data = d)
  f <- features_by_name(list(schema = describe_model(model, prototype = prototype)$schema))
  expect_identical(f$day$type, "date")
  expect_identical(f$at$type, "datetime")
  expect_identical(f$at$timezone, "America/New_York")
  expect_identical(f$at$min, format(min(d$at), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"))
  expect_identical(f$stay[c("type", "units")], list(type = "difftime", units = "mins"))
  # The Date a model that keeps no frame fitted is known from its terms.
  bare <- lm(sales ~ day + store, data = sales, model = FALSE)
  expect_identical(describe_model(bare, prototype = prototype)$schema$features[[1]]$type, "date")

  out <- tempfile(fileext = ".json")
  rds <- tempfile(fileext = ".rds")
  saveRDS(lm(sales ~ day + store + promo, data = sales), rds)
  utils::write.csv(sales, csv, row.names = FALSE)
  status <- system2(file.path(R.home("bin"), "Rscript"),
                    c(file.path(handler_root, "describe.R"), "--model", rds, "--prototype", csv, "--out", out),
                    stdout = FALSE, stderr = FALSE)
  expect_identical(status, 0L)
  schema <- jsonlite::fromJSON(out, simplifyVector = FALSE)
  expect_identical(schema$features[[1]][c("name", "type", "min")],
                   list(name = "day", type = "date", min = format(min(sales$day))))
})

test_that("an integer column the model uses as a number takes fractions, equal to predict()", {
  d <- data.frame(x = 1:60, y = sin(1:60) + (1:60) / 10)
  model <- lm(y ~ x, data = d)
  svc <- served(model, d)
  f <- features_by_name(svc)
  expect_identical(f$x$type, "numeric")
  expect_identical(c(f$x$min, f$x$max), c(1L, 60L))
  rows <- data.frame(x = c(5.5, 10, 59.25))
  expect_scores_as_predict(svc, model, rows)
})

test_that("an integer column the model needs as integers stays integer and refuses a fraction", {
  d <- data.frame(x = rep(1:3, 20), y = rep(c(1, 4, 2), 20) + sin(1:60))
  model <- lm(y ~ factor(x), data = d)
  svc <- served(model, d)
  expect_identical(features_by_name(svc)$x$type, "integer")
  out <- score_route(svc, json_body(list(columns = list(x = c(2, 5.5)))))
  expect_identical(out$status, 422L)
  expect_identical(problem_errors(out)[[1]][c("message", "pointer")],
                   list(message = "must be an integer", pointer = "/columns/x/1"))
  expect_scores_as_predict(svc, model, data.frame(x = c(3L, 1L)))
  both <- lm(y ~ x + factor(x), data = d)
  expect_identical(describe_model(both, prototype = d)$schema$features[[1]]$type, "integer")
})

test_that("for a model without terms, an integer input is a number when doubles and fractions score", {
  assign("predict.counted_steps", function(object, newdata, ...) {
    if (!is.integer(newdata$x)) stop("x must be a count")
    object$slope * newdata$x
  }, envir = globalenv())
  assign("predict.scaled_steps", function(object, newdata, ...) object$slope * newdata$x, envir = globalenv())
  on.exit(rm("predict.counted_steps", "predict.scaled_steps", envir = globalenv()))
  d <- data.frame(x = 1:10)
  counted <- describe_model(structure(list(slope = 2), class = "counted_steps"), prototype = d)$schema
  scaled <- describe_model(structure(list(slope = 2), class = "scaled_steps"), prototype = d)$schema
  expect_identical(counted$features[[1]]$type, "integer")
  expect_identical(scaled$features[[1]]$type, "numeric")
})

test_that("a character input a model took as a category has its levels, refuses others, and scores as predict()", {
  set.seed(22)
  d <- data.frame(g = sample(c("lo", "mid", "hi"), 80, replace = TRUE), x = runif(80), stringsAsFactors = FALSE)
  d$y <- c(lo = 1, mid = 3, hi = 7)[d$g] + d$x + rnorm(80, sd = 0.1)
  rows <- d[c(5, 1, 9, 30), c("g", "x")]
  fits <- list(lm = lm(y ~ g + x, data = d), rpart = rpart::rpart(y ~ g + x, data = d, minsplit = 5))
  for (name in names(fits)) {
    model <- fits[[name]]
    svc <- served(model, d)
    g <- features_by_name(svc)$g
    expect_identical(g$type, "character", info = name)
    expect_identical(as.character(g$levels), c("hi", "lo", "mid"), info = name)
    expect_scores_as_predict(svc, model, rows)
    out <- score_route(svc, json_body(list(columns = list(g = c("lo", "top"), x = c(0.5, 0.5)))))
    expect_identical(out$status, 422L)
    expect_identical(problem_errors(out)[[1]][c("field", "message", "row")],
                     list(field = "g", message = "is not one of the levels seen in training: hi, lo, mid", row = 1L), info = name)
  }
})

test_that("a score.R is given character inputs as strings", {
  d <- data.frame(g = rep(c("a", "b"), 10), x = 1:20 / 3, stringsAsFactors = FALSE)
  d$y <- d$x + (d$g == "b")
  model <- lm(y ~ g + x, data = d)
  svc <- served(model, d, score = c("score <- function(model, newdata, ...) {",
                                    "  stopifnot(is.character(newdata$g))",
                                    "  predict(model, newdata)",
                                    "}"))
  g <- features_by_name(svc)$g
  expect_identical(g$type, "character")
  expect_null(g$levels)
  expect_scores_as_predict(svc, model, d[c(2, 3), c("g", "x")])
})
