problem_response <- function(status, body, type = "application/problem+json") {
  httr2::response(status_code = status, headers = list(`content-type` = type),
                  body = charToRaw(enc2utf8(as.character(jsonlite::toJSON(body, auto_unbox = TRUE)))))
}

test_that("a problem answer is a condition of class rscoring_<code> with its fields", {
  resp <- problem_response(422, list(
    type = "urn:r-scoring:error:invalid_input", title = "Invalid input", status = 422, code = "invalid_input",
    detail = "2 row(s) do not match", requestId = "req-1", model = list(name = "boston-rf", version = "1"),
    errors = list(list(field = "crim", row = 1, pointer = "/data/1/crim", message = "must be a number"),
                  list(field = "rm", row = 0, pointer = "/data/0/rm", message = "is missing or NA"))
  ))
  cnd <- rscoring:::problem_condition(resp, row_offset = 10)
  expect_identical(class(cnd), c("rscoring_invalid_input", "rscoring_error", "error", "condition"))
  expect_identical(cnd$code, "invalid_input")
  expect_identical(cnd$status, 422L)
  expect_identical(cnd$requestId, "req-1")
  expect_identical(cnd$model$name, "boston-rf")
  expect_identical(cnd$errors$field, c("crim", "rm"))
  expect_identical(cnd$errors$row, c(12L, 11L)) # 1-based rows of the data passed
  expect_identical(cnd$errors$pointer, c("/data/1/crim", "/data/0/rm"))
  expect_match(conditionMessage(cnd), "row 12, crim: must be a number", fixed = TRUE)
  expect_match(conditionMessage(cnd), "Model: boston-rf, version 1.", fixed = TRUE)
  expect_error(stop(cnd), class = "rscoring_invalid_input")
})

test_that("answers without a problem body get a code from their status", {
  cnd <- rscoring:::problem_condition(httr2::response(status_code = 401))
  expect_s3_class(cnd, "rscoring_unauthorized")
  cnd <- rscoring:::problem_condition(httr2::response(status_code = 429, headers = list(`retry-after` = "3")))
  expect_s3_class(cnd, "rscoring_too_many_requests")
  expect_identical(cnd$retry_after, 3)
  expect_s3_class(rscoring:::problem_condition(httr2::response(status_code = 418)), "rscoring_http_418")
})

test_that("the message lists the first field errors, then how many more", {
  errs <- lapply(0:7, function(i) list(field = "x", row = i, pointer = sprintf("/data/%d/x", i), message = "bad"))
  cnd <- rscoring:::problem_condition(problem_response(422, list(title = "Invalid input", status = 422, code = "invalid_input", errors = errs)))
  expect_match(conditionMessage(cnd), "and 3 more")
  expect_identical(nrow(cnd$errors), 8L)
})
