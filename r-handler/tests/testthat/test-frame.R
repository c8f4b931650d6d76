# Column frames: what the app sends for batch chunks (see R/frame.R).

test_that("a frame of Boston rows scores exactly as predict(), numbers coming back as base64 doubles", {
  svc <- loaded_service("boston-rf")
  d <- prototype("boston-rf")[1:50, ]
  out <- score_route(svc, frame_of(d, svc$schema$features), FRAME_CONTENT_TYPE)
  expect_identical(out$status, 200L)
  body <- jsonlite::fromJSON(out$body)
  expect_null(body[["predictions"]])
  expect_identical(decode_doubles(body$predictions64), unname(predict(svc$model, d)))
})

test_that("NA doubles and NA levels arrive as NA, and class probabilities stay JSON", {
  svc <- loaded_service("penguins-rf")
  d <- prototype("penguins-rf")[1:6, ]
  d$bill_length_mm[1] <- NA
  d$body_mass_g[2] <- NA
  d$sex[3] <- NA
  req <- parse_frame(frame_of(d, svc$schema$features, type = "prob"))
  expect_identical(req$type, "prob")
  expect_identical(req$n, 6L)
  expect_true(is.na(req$columns$bill_length_mm[1]) && !is.nan(req$columns$bill_length_mm[1]))
  expect_identical(req$columns$body_mass_g[2], NA_real_)
  expect_identical(req$columns$sex[3], NA_character_)
  expect_identical(req$columns$island, as.character(d$island))
  out <- score_route(svc, frame_of(d, svc$schema$features, type = "prob"), FRAME_CONTENT_TYPE)
  expect_identical(out$status, 200L)
  probs <- jsonlite::fromJSON(out$body)$predictions
  expect_identical(nrow(probs), 6L)
  expect_equal(unname(rowSums(probs)), rep(1, 6))
})

test_that("logical, integer and string columns are read from a frame, NA integers as NA", {
  raw <- c(charToRaw('{"rows":3,"columns":[{"name":"ok","kind":"logical"},{"name":"n","kind":"integer"},{"name":"s","kind":"string","values":["a",null,"c"]}]}'),
           as.raw(10L), writeBin(c(1L, NA_integer_, 0L), raw(), size = 4L, endian = "little"),
           writeBin(c(7L, NA_integer_, -2L), raw(), size = 4L, endian = "little"))
  req <- parse_frame(raw)
  expect_identical(req$columns$ok, c(TRUE, NA, FALSE))
  expect_identical(req$columns$n, c(7L, NA_integer_, -2L))
  expect_identical(req$columns$s, c("a", NA, "c"))
})

test_that("a malformed frame is a 400 that says what is wrong", {
  head <- charToRaw('{"rows":2,"columns":[{"name":"x","kind":"double"}]}')
  bad <- list(
    "no header line" = head,
    "cut short" = c(head, as.raw(10L), writeBin(1, raw())),
    "bytes follow" = c(head, as.raw(10L), writeBin(c(1, 2, 3), raw())),
    "not JSON" = c(charToRaw("{rows"), as.raw(10L)),
    "unknown kind" = c(charToRaw('{"rows":1,"columns":[{"name":"x","kind":"complex"}]}'), as.raw(10L))
  )
  for (what in names(bad)) {
    err <- tryCatch(parse_frame(bad[[what]]), scoring_error = identity)
    expect_identical(err$status, 400L, label = what)
    expect_match(conditionMessage(err), "column frame is malformed", label = what)
  }
})

test_that("the pool worker reads a frame from its standard input between JSON lines", {
  svc <- loaded_service("boston-rf")
  d <- prototype("boston-rf")[1:20, ]
  frame <- frame_of(d, svc$schema$features)
  proc <- processx::process$new(file.path(R.home("bin"), "Rscript"),
                                c("--vanilla", file.path(handler_root, "worker.R"), "--model", model_dir("boston-rf")),
                                stdin = "|", stdout = "|", stderr = "|")
  on.exit(proc$kill())
  read_answer <- function() {
    deadline <- Sys.time() + 30
    repeat {
      line <- proc$read_output_lines(n = 1L)
      if (length(line) && startsWith(line, "\x1e")) return(substring(line, 2L))
      if (Sys.time() > deadline) stop("no answer from the worker: ", proc$read_all_error())
      proc$poll_io(200L)
    }
  }
  expect_identical(read_answer(), "READY")
  proc$write_input(c(charToRaw(paste0("frame ", length(frame), "\n")), frame))
  proc$write_input(paste0(rawToChar(columns_body(d[1:2, setdiff(names(d), "medv")])), "\n"))
  first <- read_answer()
  second <- read_answer()
  expect_match(first, "^200 ")
  expect_identical(decode_doubles(jsonlite::fromJSON(sub("^200 ", "", first))$predictions64), unname(predict(svc$model, d)))
  expect_match(second, "^200 ")
  expect_length(jsonlite::fromJSON(sub("^200 ", "", second))$predictions, 2L)
})
