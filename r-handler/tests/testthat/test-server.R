# The real handler process, spoken to over HTTP.

handler <- start_handler(model_dir("boston-rf"))
withr::defer(handler$proc$kill(), testthat::teardown_env())

test_that("/live answers, then /ready once the model is loaded", {
  expect_identical(wait_for(handler, "/live")$status, 200L)
  ready <- wait_for(handler, "/ready")
  expect_identical(jsonlite::fromJSON(ready$body)$status, "ready")
})

test_that("/metadata gives the model class, versions and schema", {
  res <- http_request(handler$port, "GET", "/metadata")
  meta <- jsonlite::fromJSON(res$body, simplifyVector = FALSE)
  expect_identical(res$status, 200L)
  expect_true("randomForest" %in% unlist(meta$modelClass))
  expect_identical(meta$packages$randomForest, as.character(packageVersion("randomForest")))
  expect_length(meta$schema$features, 13L)
})

test_that("POST /score with the legacy df body equals predict()", {
  rows <- MASS::Boston[1:5, ]
  body <- jsonlite::toJSON(list(df = rows[, setdiff(names(rows), "medv")]), digits = I(17))
  res <- http_request(handler$port, "POST", "/score", body)
  expect_identical(res$status, 200L)
  expect_identical(res$type, "application/json")
  model <- readRDS(file.path(model_dir("boston-rf"), "model.rds"))
  expect_identical(prediction_tokens(res), exact(unname(predict(model, rows))))
})

test_that("POST /score takes a column frame and answers with base64 doubles", {
  model <- readRDS(file.path(model_dir("boston-rf"), "model.rds"))
  schema <- read_schema(file.path(model_dir("boston-rf"), "model.json"))
  rows <- prototype("boston-rf")[1:7, ]
  res <- http_request(handler$port, "POST", "/score", frame_of(rows, schema$features), content_type = FRAME_CONTENT_TYPE)
  expect_identical(res$status, 200L)
  expect_identical(decode_doubles(jsonlite::fromJSON(res$body)$predictions64), unname(predict(model, rows)))
})

test_that("malformed JSON over HTTP is a 400 problem", {
  res <- http_request(handler$port, "POST", "/score", '{"df": [{"crim": 1')
  expect_identical(res$status, 400L)
  expect_identical(res$type, "application/problem+json")
  expect_identical(jsonlite::fromJSON(res$body)$code, "malformed_json")
})

test_that("an unseen column value over HTTP is a 422 naming field and row", {
  res <- http_request(handler$port, "POST", "/score", '{"columns": {"crim": [1, "high"]}}')
  expect_identical(res$status, 422L)
  errors <- jsonlite::fromJSON(res$body)$errors
  expect_true("crim" %in% errors$field)
  expect_identical(errors$row[errors$field == "crim"], 1L)
})

test_that("an unknown route is a 404 problem and an rds body is never parsed", {
  expect_identical(http_request(handler$port, "GET", "/__docs__/")$status, 404L)
  res <- http_request(handler$port, "POST", "/score", serialize(list(1), NULL), "application/rds")
  expect_identical(res$status, 415L)
})

test_that("as a custom handler it listens on FUNCTIONS_CUSTOMHANDLER_PORT and answers under /api", {
  port <- httpuv::randomPort()
  proc <- processx::process$new(file.path(R.home("bin"), "Rscript"),
                                c(file.path(handler_root, "main.R"), "--model", model_dir("boston-rf")),
                                env = c("current", FUNCTIONS_CUSTOMHANDLER_PORT = as.character(port)),
                                stdout = "|", stderr = "|")
  withr::defer(proc$kill())
  ready <- wait_for(list(proc = proc, port = port), "/api/ready")
  expect_identical(ready$status, 200L)
  rows <- MASS::Boston[1, setdiff(names(MASS::Boston), "medv")]
  res <- http_request(port, "POST", "/api/score", jsonlite::toJSON(list(data = rows), digits = I(17)))
  expect_identical(res$status, 200L)
  expect_length(jsonlite::fromJSON(res$body)$predictions, 1L)
})

test_that("the custom handler's function.json files route to the handler's routes", {
  app <- file.path(handler_root, "function-app")
  host <- jsonlite::fromJSON(file.path(app, "host.json"))
  expect_true(host$customHandler$enableForwardingHttpRequest)
  expect_identical(host$extensions$http$routePrefix, "api")
  for (name in c("score", "live", "ready", "metadata")) {
    binding <- jsonlite::fromJSON(file.path(app, name, "function.json"))$bindings
    expect_identical(binding$route[1], name)
  }
  expect_identical(jsonlite::fromJSON(file.path(app, "score", "function.json"))$bindings$authLevel[1], "function")
})
