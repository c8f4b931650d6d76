# Models whose predict() needs every training level of a categorical input in newdata
# (nlme's gls fitted on a character column): published with "completeLevels", each call
# scored with padding rows holding the levels, and the padding dropped from the answer.

orthodont <- local({
  d <- as.data.frame(nlme::Orthodont)[, c("distance", "age", "Sex")]
  d$Sex <- as.character(d$Sex)
  d
})
gls_character <- nlme::gls(distance ~ age + Sex, data = orthodont)

# A model directory (model.rds, model.json from describe_model), loaded as the handler does.
published_service <- function(model, prototype, response) {
  dir <- tempfile("model-")
  dir.create(dir)
  saveRDS(model, file.path(dir, "model.rds"))
  described <- describe_model(model, NULL, prototype, response)
  writeLines(schema_json(described$schema), file.path(dir, "model.json"))
  svc <- load_service(new_service(dir))
  if (!identical(svc$state, "ready")) stop("the model did not load: ", svc$error)
  list(svc = svc, described = described)
}

# What predict() gives for the rows when a row of each level follows them: its first values.
predict_with_levels <- function(model, rows, data, column) {
  others <- data[match(sort(unique(data[[column]])), data[[column]]), names(rows)]
  as.vector(predict(model, rbind(rows, others)))[seq_len(nrow(rows))]
}

score_tokens <- function(svc, rows) {
  out <- score_route(svc, columns_body(rows))
  expect_identical(out$status, 200L, info = out$body)
  prediction_tokens(out)
}

# Rows of one level only, one row of each level, and a mix: each a call of its own.
sample_rows <- list(orthodont[1:3, ], orthodont[65, ], orthodont[1, ], orthodont[c(1, 65, 70, 2), ])

test_that("gls on a character column: predict() fails on one row, as on rows of one level", {
  expect_error(predict(gls_character, orthodont[1, ]), "2 or more levels")
  expect_error(predict(gls_character, orthodont[1:3, ]), "2 or more levels")
})

test_that("gls on a character column publishes with completeLevels and scores one row and several equal to predict()", {
  published <- published_service(gls_character, orthodont, "distance")
  schema <- published$described$schema
  expect_true(schema$completeLevels)
  sex <- Filter(function(f) f$name == "Sex", schema$features)[[1]]
  expect_identical(as.character(sex$levels), c("Female", "Male"))
  expect_true(published$svc$scorer$complete_levels)
  # A model fitted on the factor predicts from any rows: the same numbers.
  gls_factor <- nlme::gls(distance ~ age + Sex, data = transform(orthodont, Sex = factor(Sex)))
  for (rows in sample_rows) {
    expected <- predict_with_levels(gls_character, rows[, c("age", "Sex")], orthodont, "Sex")
    expect_identical(score_tokens(published$svc, rows[, c("age", "Sex")]), exact(expected))
    expect_identical(as.vector(predict(gls_factor, transform(rows, Sex = factor(Sex, levels = c("Female", "Male"))))), expected)
  }
})

test_that("gls given a factor prototype also needs the levels, and scores the same", {
  proto <- transform(orthodont, Sex = factor(Sex))
  published <- published_service(gls_character, proto, "distance")
  expect_true(published$described$schema$completeLevels)
  for (rows in sample_rows) {
    expect_identical(score_tokens(published$svc, rows[, c("age", "Sex")]),
                     exact(predict_with_levels(gls_character, rows[, c("age", "Sex")], orthodont, "Sex")))
  }
})

test_that("a character feature with levels pads with them: the padding is the example row, one level a row", {
  features <- list(list(name = "age", type = "numeric"), list(name = "Sex", type = "character", levels = I(c("Female", "Male"))))
  example <- data.frame(age = 8, Sex = "Male", stringsAsFactors = FALSE)
  padding <- level_padding(example, features)
  expect_identical(padding, data.frame(age = c(8, 8), Sex = c("Female", "Male"), stringsAsFactors = FALSE))
  rows <- coerce_frame(orthodont[1:5, ], features)
  scoring <- describe_scoring(gls_character, rows, features = features)
  expect_true(scoring$scorer$complete_levels)
  expect_identical(scoring$scorer$fn(rows[1L, , drop = FALSE], "response"),
                   predict_with_levels(gls_character, orthodont[1, c("age", "Sex")], orthodont, "Sex"))
  factors <- level_padding(coerce_frame(orthodont[1, ], list(list(name = "Sex", type = "factor", levels = I(c("Female", "Male"))))),
                           list(list(name = "Sex", levels = I(c("Female", "Male")))))
  expect_identical(factors$Sex, factor(c("Female", "Male")))
  expect_null(level_padding(example, list(list(name = "age", type = "numeric"))))
})

# A classifier whose predict() refuses rows that do not hold every level of `g` (it
# rebuilds the factor from the rows, as gls does), and gives classes or probabilities.
toy_levels <- function(rowwise = TRUE) structure(list(levels = c("a", "b", "c"), rowwise = rowwise), class = "toylevels")
predict.toylevels <- function(object, newdata, type = c("class", "prob"), ...) {
  type <- match.arg(type)
  g <- factor(as.character(newdata$g))
  if (!identical(levels(g), object$levels)) stop("newdata lacks a level of g")
  x <- if (object$rowwise) newdata$x else newdata$x - mean(newdata$x)
  p <- cbind(yes = plogis(x + as.integer(g)), no = 1 - plogis(x + as.integer(g)))
  if (type == "prob") p else factor(ifelse(p[, "yes"] > 0.5, "yes", "no"), levels = c("yes", "no"))
}
registerS3method("predict", "toylevels", predict.toylevels)

toy_data <- data.frame(x = c(-2, 0.5, -1, 1.5, 0, -3), g = c("a", "a", "b", "c", "a", "b"), y = 0, stringsAsFactors = FALSE)
toy_prototype <- transform(toy_data, g = factor(g))

test_that("class and probability outputs are padded, and only the real rows come back", {
  model <- toy_levels()
  published <- published_service(model, toy_prototype, "y")
  expect_true(published$described$schema$completeLevels)
  expect_setequal(names(published$described$schema$output$types), c("class", "prob"))
  svc <- published$svc
  reference <- toy_data[c(1, 3, 4), c("x", "g")]
  for (rows in list(toy_data[1, c("x", "g")], toy_data[c(6, 2), c("x", "g")])) {
    full <- rbind(rows, reference)
    out <- json_of(score_route(svc, columns_body(rows, "prob")))
    expected <- predict(model, full, type = "prob")[seq_len(nrow(rows)), , drop = FALSE]
    expect_identical(out$rows, nrow(rows))
    expect_equal(out$predictions$yes, unname(expected[, "yes"]), tolerance = 0)
    classes <- json_of(score_route(svc, columns_body(rows, "class")))$predictions
    expect_identical(classes, as.character(predict(model, full, type = "class"))[seq_len(nrow(rows))])
  }
})

test_that("a model whose rows depend on each other is refused even with every level present", {
  model <- toy_levels(rowwise = FALSE)
  expect_error(describe_model(model, NULL, toy_prototype, "y"), "lacks a level of g")
  features <- list(list(name = "x", type = "numeric"), list(name = "g", type = "factor", levels = I(c("a", "b", "c"))))
  rows <- coerce_frame(toy_prototype[1:5, ], features)
  trial <- try_type(model, rows, type_spec("prob"), padding = level_padding(rows[1L, , drop = FALSE], features))
  expect_match(trial$error, "a row scored alone gives another prediction than among several")
})

test_that("a model that scores one row as it is gets no padding and the plain scorer", {
  model <- lm(Sepal.Length ~ Petal.Width + Species, data = iris)
  described <- describe_model(model, NULL, iris, "Sepal.Length")
  expect_null(described$schema$completeLevels)
  expect_false(described$scorer$complete_levels)
  expect_false("padded_values" %in% all.names(body(described$scorer$fn)))
  schema <- jsonlite::fromJSON(schema_json(described$schema), simplifyVector = TRUE, simplifyDataFrame = FALSE)
  expect_null(schema_padding(schema))
  expect_false("padded_values" %in% all.names(body(schema_scorer(model, schema)$fn)))
})

test_that("model.json asking for completeLevels with no feature levels is refused at load", {
  schema <- list(completeLevels = TRUE, features = list(list(name = "x", type = "numeric")), example = list(x = 1))
  expect_error(schema_padding(schema), "no feature has levels")
})
