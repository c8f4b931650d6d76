test_that("an endpoint never shows its keys", {
  ep <- scoring_endpoint("http://127.0.0.1:7071/api/", key = "function-secret-123", admin_key = "master-secret-456")
  shown <- c(capture.output(print(ep)), capture.output(str(ep)), format(ep), capture.output(dput(unclass(ep)[c("url", "timeout")])))
  expect_false(any(grepl("function-secret-123|master-secret-456", shown)))
  expect_true(any(grepl("key: +set \\(hidden\\)", shown)))
  expect_identical(ep$url, "http://127.0.0.1:7071")
})

test_that("keys go in the x-functions-key header, never in the URL", {
  expect_error(scoring_endpoint("http://127.0.0.1:7071/api/score?code=abc", key = "k"), "Do not put a key in the URL")
  ep <- scoring_endpoint("http://127.0.0.1:7071", key = "fk", admin_key = "mk")
  req <- rscoring:::api_request(ep, "GET", "/api/models/boston-rf")
  expect_identical(req$headers[["x-functions-key"]], "fk")
  expect_false(grepl("fk", req$url))
  expect_identical(req$options$followlocation, 0L)
  expect_identical(rscoring:::api_request(ep, "GET", "/api/models/x/history", admin = TRUE)$headers[["x-functions-key"]], "mk")
  no_admin <- scoring_endpoint("http://127.0.0.1:7071", key = "fk", admin_key = "")
  expect_error(promote(no_admin, "m", "1"), "admin_key")
  expect_false(admin_routes_available(no_admin))
})

test_that("names in paths are escaped and versions need a model", {
  expect_identical(rscoring:::score_path(), "/api/score")
  expect_identical(rscoring:::score_path("boston rf", "1.0"), "/api/models/boston%20rf/versions/1.0/score")
  expect_identical(rscoring:::batch_path("m"), "/api/models/m/batches")
  expect_error(rscoring:::score_path(version = "1"), "model")
})
