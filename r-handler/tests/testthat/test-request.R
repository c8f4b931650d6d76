test_that("malformed JSON is a 400 malformed_json", {
  err <- tryCatch(parse_score_request(charToRaw('{"data": [')), scoring_error = identity)
  expect_identical(err$status, 400L)
  expect_identical(err$code, "malformed_json")
})

test_that("an empty body is a 400", {
  err <- tryCatch(parse_score_request(raw()), scoring_error = identity)
  expect_identical(err$status, 400L)
})

test_that("a body that is not an object is a 400", {
  err <- tryCatch(parse_score_request(charToRaw("[1, 2]")), scoring_error = identity)
  expect_identical(err$code, "invalid_request")
})

test_that("columns, split, records, a single record and df all give the same columns", {
  forms <- list(
    '{"columns": {"x": [1, 2], "g": ["a", "b"]}}',
    '{"columns": ["x", "g"], "data": [[1, "a"], [2, "b"]]}',
    '{"data": [{"x": 1, "g": "a"}, {"x": 2, "g": "b"}]}',
    '{"df": [{"x": 1, "g": "a"}, {"g": "b", "x": 2}]}'
  )
  for (f in forms) {
    req <- parse_score_request(charToRaw(f))
    expect_identical(req$n, 2L)
    expect_equal(req$columns$x, c(1, 2))
    expect_identical(req$columns$g, c("a", "b"))
  }
  one <- parse_score_request(charToRaw('{"data": {"x": 1.5, "g": "a"}, "type": "prob"}'))
  expect_identical(one$n, 1L)
  expect_identical(one$type, "prob")
})

test_that("a missing key in a record is a null in that row", {
  req <- parse_score_request(charToRaw('{"data": [{"x": 1}, {"x": 2, "g": "b"}]}'))
  expect_identical(req$columns$g, c(NA, "b"))
})

test_that("pointers follow the form the client sent", {
  req <- parse_score_request(charToRaw('{"columns": ["x", "g"], "data": [[1, "a"]]}'))
  expect_identical(request_pointer(req)("g", 0L), "/data/0/1")
  req <- parse_score_request(charToRaw('{"df": [{"x": 1}]}'))
  expect_identical(request_pointer(req)("x", 3L), "/df/3/x")
})

test_that("the app's plain columns body reads as the full parser reads it", {
  bodies <- c(
    '{"columns": {"x": [1, 2.5], "n": [1, 2], "g": ["a", "b"], "ok": [true, false]}, "type": "prob"}',
    '{"columns": {"x": [1, null]}}',
    '{"columns": {"x": [1, "a"]}}',
    '{"columns": {"x": [true, 1]}}',
    '{"columns": {"x": [[1], [2]]}}',
    '{"columns": {"x": [1]}, "type": ["a"]}',
    '{"columns": {"x": [1]}, "extra": 1}',
    '{"columns": {"x": [1e400, -0.1]}}',
    '{"columns": {}}'
  )
  for (b in bodies) {
    fast <- parse_plain_columns(b)
    full <- tryCatch({
      body <- jsonlite::fromJSON(b, simplifyVector = TRUE, simplifyDataFrame = FALSE, simplifyMatrix = FALSE)
      list(columns = body$columns, type = body$type)
    }, error = identity)
    if (is.null(fast)) next
    expect_identical(fast$columns, full$columns, label = b)
    expect_identical(fast$type, full$type, label = b)
  }
  expect_false(is.null(parse_plain_columns(bodies[[1]])))
  expect_null(parse_plain_columns(bodies[[2]]))
  expect_null(parse_plain_columns(bodies[[3]]))
  expect_null(parse_plain_columns(bodies[[4]]))
  expect_null(parse_plain_columns(bodies[[6]]))
  expect_null(parse_plain_columns("5"))
  expect_null(parse_plain_columns("[1, 2]"))
  expect_identical(parse_score_request(charToRaw(bodies[[4]]))$columns$x, c(1L, 1L))
})
